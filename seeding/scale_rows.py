"""The statements that fill each table from a batch's plan (`scale_plan`), in
the order `scale.load_batch` runs them. Where a statement mirrors one of the
apps' operations (the artifact keys, a publish task's payload, a moderator's
decision), its comment names it; the vocabularies come from the apps.
"""

from safety.clearance import PUBLISHED_KINDS
from safety.services import OUTCOME_STATUS
from seeding.scale_plan import (
    PLAN_SQL,
    after,
    draw,
    iso,
    pick,
    sha256_hex,
    step_end,
    step_start,
)
from videos import media_types
from videos.models import ArtifactKind

MEDIA_STEPS = tuple(ArtifactKind.values)
# Scale's files are what the pipeline makes in production, MP3, MP4 and JPEG,
# with the extension videos.media_types gives each.
EXTENSIONS = {
    ArtifactKind.SCRIPT.value: media_types.TEXT.extension,
    ArtifactKind.AUDIO.value: media_types.MP3.extension,
    ArtifactKind.RENDER.value: media_types.MP4.extension,
    ArtifactKind.THUMBNAIL.value: media_types.JPEG.extension,
}

VIDEOS_SQL = """
INSERT INTO videos (video_id, persona_id, title, status, state_version, published_at, created_at)
SELECT video_id, persona_id, title, status, state_version, published_at, created_at
FROM scale_plan
"""

# Every pipeline task of the batch, and the artifact each finished media step made.
STEPS_SQL = f"""
CREATE TEMPORARY TABLE scale_steps ON COMMIT DROP AS
WITH unnested AS (
    SELECT p.i, p.video_id, p.title, p.persona_id, p.persona_no, p.status AS video_status,
           p.created_at, p.age, s.k::int AS k,
           split_part(s.step, ':', 1) AS type, split_part(s.step, ':', 2) AS status
    FROM scale_plan p CROSS JOIN LATERAL unnest(p.steps) WITH ORDINALITY AS s(step, k)
), timed AS (
    SELECT u.*,
        md5('scale-task-' || i || '-' || k)::uuid AS task_id,
        {step_start("k")} AS started_at,
        {step_end("k")} AS finished_at,
        CASE WHEN status = 'succeeded' AND type IN {MEDIA_STEPS} THEN
            md5('scale-artifact-' || i || '-' || type)::uuid END AS artifact_id
    FROM unnested u
)
SELECT t.*,
    -- The key videos.storage.artifact_key makes: videos/<video>/<kind>/<uuid>.<extension>.
    's3://' || r.bucket || '/videos/' || video_id || '/' || type || '/' || artifact_id || '.'
        || CASE type {" ".join(f"WHEN '{k}' THEN '{v}'" for k, v in EXTENSIONS.items())} END
        AS s3_path
FROM timed t CROSS JOIN scale_run r
"""

TASKS_SQL = f"""
INSERT INTO tasks (task_id, video_id, type, status, payload, state_version, created_at)
SELECT task_id, video_id, type, status,
    jsonb_strip_nulls(
        CASE type
            WHEN 'script' THEN jsonb_build_object(
                'model', 'scriptwriter-2',
                'prompt', 'Write a 45-second video script titled "' || title || '".',
                'persona', persona_id::text, 'target_seconds', 45)
            WHEN 'audio' THEN jsonb_build_object(
                'engine', 'neural-v2', 'voice_id', 'voice-' || lpad(persona_no::text, 4, '0'),
                'sample_rate', 22050)
            WHEN 'render' THEN jsonb_build_object(
                'template', 'shorts-v3', 'resolution', '1080x1920', 'fps', 30, 'codec', 'h264')
            WHEN 'thumbnail' THEN jsonb_build_object(
                'width', 1280, 'height', 720, 'style', 'gradient')
            ELSE jsonb_build_object(
                'model', 'guard-2',
                'checks',
                '["medical", "dangerous_activity", "scam", "copyright", "language"]'::jsonb,
                'inputs', '["script", "audio", "render", "thumbnail"]'::jsonb)
        END
        || jsonb_build_object(
            'worker', CASE WHEN status IN ('running', 'succeeded', 'failed') THEN
                replace(type, '_', '-') || '-worker-' || (1 + mod(i, 4)) END,
            'started_at', CASE WHEN status IN ('running', 'succeeded', 'failed') THEN
                {iso("started_at")} END,
            'finished_at', CASE WHEN status IN ('succeeded', 'failed') THEN
                {iso("finished_at")} END,
            'output', s3_path,
            'attempts', CASE WHEN status = 'failed' THEN 3 END,
            'error', CASE WHEN status = 'failed' THEN CASE type
                WHEN 'script' THEN jsonb_build_object(
                    'code', 'LLM_REFUSAL', 'message', 'the model refused the prompt')
                WHEN 'audio' THEN jsonb_build_object(
                    'code', 'TTS_TIMEOUT', 'message', 'TTS provider timed out after 30s')
                WHEN 'render' THEN jsonb_build_object(
                    'code', 'ENCODER_OOM', 'message', 'ffmpeg was killed: out of memory')
                WHEN 'thumbnail' THEN jsonb_build_object(
                    'code', 'IMAGE_5XX', 'message', 'image service answered 503')
                ELSE jsonb_build_object(
                    'code', 'GUARD_TIMEOUT', 'message', 'safety model timed out')
                END END,
            'cancelled_because', CASE WHEN status = 'cancelled' THEN
                CASE WHEN video_status = 'archived' THEN 'the video was archived'
                     ELSE 'an earlier step failed' END END)),
    CASE status WHEN 'queued' THEN 0 WHEN 'running' THEN 1 WHEN 'cancelled' THEN 1 ELSE 2 END,
    started_at
FROM scale_steps
"""

ARTIFACTS_SQL = """
INSERT INTO artifacts (artifact_id, video_id, kind, s3_path, created_at)
SELECT artifact_id, video_id, type, s3_path, finished_at
FROM scale_steps WHERE artifact_id IS NOT NULL
"""

# The report on the video's safety check, its issues drawn per issue number.
REPORTS_SQL = f"""
INSERT INTO safety_reports
    (report_id, task_id, score, issues, requires_human_review, review_status, created_at)
SELECT md5('scale-report-' || p.i)::uuid, s.task_id, p.score,
    (SELECT COALESCE(jsonb_agg(issue ORDER BY k), '[]'::jsonb) FROM (
        SELECT k, jsonb_strip_nulls(jsonb_build_object(
            'category', r.categories[c],
            'severity', CASE WHEN p.report = 'auto' THEN
                            CASE WHEN {draw("h", 1)} < 0.8 THEN 'low' ELSE 'medium' END
                        ELSE CASE WHEN {draw("h", 1)} < 0.35 THEN 'medium'
                                  WHEN {draw("h", 1)} < 0.75 THEN 'high' ELSE 'critical' END
                        END,
            'message', r.messages[c],
            'evidence', CASE
                WHEN r.excerpts[c] <> '' THEN
                    jsonb_build_object('artifact', 'script', 'excerpt', r.excerpts[c])
                WHEN r.evidence[c] = 'thumbnail' THEN jsonb_build_object('artifact', 'thumbnail')
                ELSE jsonb_build_object(
                    'artifact', r.evidence[c],
                    'start', round(({draw("h", 2)} * 40)::numeric, 1),
                    'end', round(({draw("h", 2)} * 40 + 0.5 + {draw("h", 3)} * 5)::numeric, 1))
                END,
            -- Keys the pipeline adds: the admin keeps and shows them.
            'detector', CASE WHEN {draw("h", 4)} < 0.3 THEN {pick("r.detectors", draw("h", 5))} END,
            'confidence', CASE WHEN {draw("h", 4)} < 0.3 THEN
                round((0.5 + {draw("h", 6)} * 0.5)::numeric, 2) END
        )) AS issue
        FROM generate_series(1, p.issue_count) AS k
        CROSS JOIN LATERAL (SELECT {sha256_hex("'scale-issue-' || p.i || '-' || k")} AS h) AS hashed
        CROSS JOIN LATERAL (
            SELECT 1 + floor({draw("h", 0)} * cardinality(r.categories))::int AS c) AS picked
    ) AS issues),
    p.report = 'human', p.verdict, s.finished_at
FROM scale_plan p
JOIN scale_steps s ON s.i = p.i AND s.type = 'safety_check'
CROSS JOIN scale_run r
WHERE p.report <> 'none'
"""

# A verdict's decision kind, from safety.services.OUTCOME_STATUS (kind -> verdict).
_DECISION_KIND = (
    "CASE p.verdict "
    + " ".join(f"WHEN '{verdict}' THEN '{kind}'" for kind, verdict in OUTCOME_STATUS.items())
    + " END"
)

# A decided report's log, as safety.services.claim and decide leave it: a
# claim, then the decision. Scale uploads no files, so there is no ETag to
# record: `files_seen` stays NULL, as on decisions made before they recorded
# files, and safety.clearance judges them by the files as they were then.
REVIEW_ACTIONS_SQL = f"""
INSERT INTO safety_review_actions
    (report_id, actor_id, kind, reason_code, note, score_seen, video_version_seen, created_at)
SELECT md5('scale-report-' || p.i)::uuid,
    r.moderator_ids[1 + mod(p.i, cardinality(r.moderator_ids))],
    x.kind, x.reason_code, x.note, p.score, x.version, x.at
FROM scale_plan p CROSS JOIN scale_run r
CROSS JOIN LATERAL (VALUES
    ('claim', '', '', NULL::int, p.decided_at - (p.decided_at - p.checked_at) * 0.2),
    ({_DECISION_KIND},
     CASE p.verdict WHEN 'approved' THEN {pick("r.approve_reasons", "p.u_reason")}
                    WHEN 'rejected' THEN {pick("r.reject_reasons", "p.u_reason")}
                    ELSE {pick("r.escalate_reasons", "p.u_reason")} END,
     CASE p.verdict WHEN 'approved' THEN ''
                    WHEN 'rejected' THEN 'Breaks the policy on what the issues name; not fixable.'
                    ELSE 'Unsure how the policy applies here; a lead should decide.' END,
     2, p.decided_at)
) AS x(kind, reason_code, note, version, at)
WHERE p.verdict IS NOT NULL
"""

# Receipts of approved and published videos, each with the publish task an
# editor's approval made for it.
RECEIPTS_PLAN_SQL = f"""
CREATE TEMPORARY TABLE scale_receipts ON COMMIT DROP AS
WITH slots AS (
    SELECT p.i, p.video_id, p.status AS video_status, p.title, p.persona_id, p.approved_at,
        p.published_at, p.u_receipt2, p.u_schedule, p.u_actor, n,
        r.channels[1 + mod(floor(p.u_channel * cardinality(r.channels))::int + n - 1,
                           cardinality(r.channels))] AS channel,
        md5('scale-receipt-' || p.i || '-' || n)::uuid AS receipt_id,
        md5('scale-publish-' || p.i || '-' || n)::uuid AS task_id,
        CASE
            WHEN p.status = 'published' AND n = 1 THEN 'published'
            WHEN p.status = 'published' THEN
                CASE WHEN p.u_receipt2 < 0.6 THEN 'published' WHEN p.u_receipt2 < 0.85 THEN 'failed'
                     ELSE 'retracted' END
            WHEN n = 1 AND p.u_receipt2 < 0.2 THEN 'failed'
            ELSE 'pending' END AS status
    FROM scale_plan p CROSS JOIN scale_run r
    CROSS JOIN LATERAL generate_series(1, p.receipt_count) AS n
), timed AS (
    SELECT s.*,
        -- Pending publishes are scheduled, up to two weeks ahead.
        CASE WHEN status = 'pending' THEN
                 r.anchor + interval '1 hour' + u_schedule * interval '14 days'
             ELSE approved_at END AS not_before,
        CASE status
            WHEN 'pending' THEN approved_at
            WHEN 'published' THEN
                CASE WHEN n = 1 THEN published_at
                     ELSE {after("published_at", "interval '3 minutes'")} END
            WHEN 'failed' THEN {after("approved_at", "interval '35 minutes'")}
            ELSE {after("published_at", "u_schedule * interval '30 days'")}
        END AS at
    FROM slots s CROSS JOIN scale_run r
)
SELECT t.*,
    r.editor_ids[1 + mod(i, cardinality(r.editor_ids))] AS editor_id,
    r.editor_names[1 + mod(i, cardinality(r.editor_ids))] AS editor_name,
    CASE WHEN status IN ('published', 'retracted') THEN CASE channel
        WHEN 'youtube' THEN
            'yt_' || translate(substr(encode(decode(md5('yt-' || receipt_id), 'hex'), 'base64'),
                                      1, 11), '+/', '-_')
        WHEN 'tiktok' THEN
            '73' || lpad(mod(('x' || substr(md5('tt-' || receipt_id), 1, 15))::bit(60)::bigint,
                             100000000000000000)::text, 17, '0')
        ELSE receipt_id::text END
    END AS remote_id,
    CASE status
        WHEN 'failed' THEN
            replace({pick("r.publish_errors", "u_receipt2")}, '{{channel}}', channel)
        WHEN 'retracted' THEN
            'Retracted by ' || r.editor_names[1 + mod(i, cardinality(r.editor_ids))] || '.'
    END AS error
FROM timed t CROSS JOIN scale_run r
"""


def _object(fields: dict[str, str]) -> str:
    """SQL for a JSON object of these keys, each the value of its SQL expression."""
    return "jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v in fields.items()) + ")"


# publishing.approval.publish_payload, key by key, as SQL over a receipt (c)
# and its video's files (files); tests/seeding/test_seed_scale.py holds the
# keys to publish_payload's.
PUBLISH_PAYLOAD = {
    "channel": "c.channel",
    "receipt_id": "c.receipt_id::text",
    "not_before": iso("c.not_before"),
    "approved_by": "jsonb_build_object('id', c.editor_id, 'username', c.editor_name)",
    "approved_at": iso("c.approved_at"),
    "video_version": "3",
    "title": "c.title",
    "persona_id": "c.persona_id::text",
    "artifacts": "files.artifacts",
}
# One file of the payload's "artifacts", from scale_steps. Objects are never
# uploaded, so the ETag is made up (the worker finds the file missing anyway).
PUBLISHED_FILE = {
    "id": "artifact_id::text",
    "kind": "type",
    "s3_path": "s3_path",
    "etag": "md5('etag-' || artifact_id)",
}
_PUBLISHED = ", ".join(f"'{kind.value}'" for kind in PUBLISHED_KINDS)

PUBLISH_TASKS_SQL = f"""
INSERT INTO tasks (task_id, video_id, type, status, payload, state_version, created_at,
                   not_before, attempts, last_error)
SELECT c.task_id, c.video_id, 'publish',
    CASE c.status WHEN 'pending' THEN 'queued' WHEN 'failed' THEN 'failed' ELSE 'succeeded' END,
    {_object(PUBLISH_PAYLOAD)},
    CASE c.status WHEN 'pending' THEN 0 WHEN 'failed' THEN 2 * r.max_attempts ELSE 2 END,
    c.approved_at, c.not_before,
    CASE c.status WHEN 'pending' THEN 0 WHEN 'failed' THEN r.max_attempts ELSE 1 END,
    CASE WHEN c.status = 'failed' THEN c.error END
FROM scale_receipts c CROSS JOIN scale_run r
JOIN (
    -- What an approval publishes, in its order (safety.clearance.publish_set).
    SELECT i, jsonb_agg({_object(PUBLISHED_FILE)}
            ORDER BY array_position(ARRAY[{_PUBLISHED}], type)) AS artifacts
    FROM scale_steps
    WHERE type IN ({_PUBLISHED}) AND artifact_id IS NOT NULL
      AND i IN (SELECT i FROM scale_receipts)
    GROUP BY i
) AS files ON files.i = c.i
"""

RECEIPTS_SQL = """
INSERT INTO publish_receipts
    (publish_id, video_id, channel, status, remote_id, "timestamp", task_id, error)
SELECT receipt_id, video_id, channel, status, remote_id, at, task_id, error
FROM scale_receipts
"""

# A batch's decisions are counted into the score calibration's shared rows
# (safety_count_final_decision, a row trigger that fires even in replica
# mode), each row locking its own keys as the INSERT reaches it. Two batches
# at once would take those locks in different orders and deadlock; the row
# locks are held to the batch's commit anyway, so batches take this turn in
# order instead, and lose no parallelism they had.
CALIBRATION_TURN = 0x5EED_CA1B
CALIBRATION_TURN_SQL = f"SELECT pg_advisory_xact_lock({CALIBRATION_TURN})"

LOAD_STEPS = (
    ("plan", PLAN_SQL),
    ("videos", VIDEOS_SQL),
    ("steps", STEPS_SQL),
    ("tasks", TASKS_SQL),
    ("artifacts", ARTIFACTS_SQL),
    ("reports", REPORTS_SQL),
    ("calibration turn", CALIBRATION_TURN_SQL),
    ("review actions", REVIEW_ACTIONS_SQL),
    ("receipts plan", RECEIPTS_PLAN_SQL),
    ("publish tasks", PUBLISH_TASKS_SQL),
    ("receipts", RECEIPTS_SQL),
)

# Inside a test's transaction ON COMMIT DROP comes too late for the next batch.
DROP_BATCH_TABLES = "DROP TABLE IF EXISTS scale_plan, scale_steps, scale_receipts"
