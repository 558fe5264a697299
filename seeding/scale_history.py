"""The history `seed_scale` gives its rows: each seeded row's life as the
pghistory events its triggers would have written, had the rows been made one
change at a time (a video's status steps, a task's status steps, a report's
claim and decision, a receipt's publish or failure, an artifact's insert).

The events are read back from the loaded rows, one batch of videos per
transaction (`INSERT … SELECT`), so they agree with them: the newest event of
each seeded row is the row as it is. Steps a person took (a claim, a decision,
an approval, an archive, a retraction) carry a pghistory context naming the
user and the URL, as the middleware records them; the pipeline's and the
worker's steps carry none, as SQL writers' do.

Event ids are a pure function of the video's number and the event's place in
its life: negative, so seeded history sorts before every event a trigger
records (ids from the tables' identity are positive), and fixed, so a rerun
inserts nothing (`ON CONFLICT DO NOTHING`) and a batch whose last video has
its first event was loaded whole.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from seeding.batches import load_in_parallel
from seeding.scale_plan import PERSONAS

# The lowest integer pgh_id; video i's events take SLOTS ids from here on.
BASE = -(2**31)
# Ids per video in each event table: more than any seeded video's events.
SLOTS = {
    "videos_videoevent": 8,
    "videos_taskevent": 64,
    "videos_artifactevent": 8,
    "safety_safetyreportevent": 4,
    "publishing_publishreceiptevent": 8,
}
# Pipeline and publish task events per video at most: 5 steps × 3, and two
# receipts' publishes of 1 + 2 × attempts each.
PIPELINE_TASK_EVENTS = 15


def max_task_events(max_attempts: int) -> int:
    return PIPELINE_TASK_EVENTS + 2 * (1 + 2 * max_attempts)


def event_id(table: str, number: str, place: str) -> str:
    """SQL for the id of the `place`-th (from 1) event of video `number`."""
    return f"({BASE} + ({number} - 1) * {SLOTS[table]} + {place})"


# The batch's videos with the moments of their lives, read from their rows.
# Parameters: first, last; the seeded editors' ids.
BATCH_SQL = """
CREATE TEMPORARY TABLE history_batch ON COMMIT DROP AS
SELECT b.i, v.*, r.report_id, r.created_at AS checked_at, r.requires_human_review AS human,
    r.review_status AS verdict, claim.created_at AS claimed_at, claim.actor_id AS claimed_by,
    decision.created_at AS decided_at, decision.actor_id AS decided_by,
    approval.created_at AS approved_at, approval.editor_id,
    (SELECT min(t.created_at) FROM tasks t
     WHERE t.video_id = v.video_id AND t.type <> 'publish') AS produced_at,
    (SELECT max((t.payload ->> 'finished_at')::timestamptz) FROM tasks t
     WHERE t.video_id = v.video_id AND t.type <> 'publish' AND t.status = 'failed') AS failed_at,
    (%s::int[])[1 + mod(b.i, cardinality(%s::int[]))] AS archived_by
FROM generate_series(%s::bigint, %s::bigint) AS b(i)
JOIN videos v ON v.video_id = md5('scale-video-' || b.i)::uuid
LEFT JOIN tasks check_task ON check_task.video_id = v.video_id AND check_task.type = 'safety_check'
LEFT JOIN safety_reports r ON r.task_id = check_task.task_id
LEFT JOIN LATERAL (
    SELECT a.created_at, a.actor_id FROM safety_review_actions a
    WHERE a.report_id = r.report_id AND a.kind = 'claim' ORDER BY a.created_at LIMIT 1
) AS claim ON true
LEFT JOIN LATERAL (
    SELECT a.created_at, a.actor_id FROM safety_review_actions a
    WHERE a.report_id = r.report_id AND a.kind IN ('approve', 'reject', 'escalate')
    ORDER BY a.created_at LIMIT 1
) AS decision ON true
LEFT JOIN LATERAL (
    SELECT t.created_at, (t.payload -> 'approved_by' ->> 'id')::int AS editor_id FROM tasks t
    WHERE t.video_id = v.video_id AND t.type = 'publish' ORDER BY t.created_at LIMIT 1
) AS approval ON true
"""

# When an editor archived a video: a few days after its last step, or
# halfway from it to now when that is sooner (so it is in the past).
_LAST_STEP = "COALESCE(decided_at, checked_at, failed_at, produced_at, created_at)"
ARCHIVED_AT = (
    f"LEAST({_LAST_STEP} + interval '3 days', {_LAST_STEP} + (now() - {_LAST_STEP}) * 0.5)"
)


def _context(kind: str, key: str) -> str:
    return f"md5('scale-context-{kind}-' || {key})::uuid"


# The requests people made, one context each, as the middleware writes them.
CONTEXTS_SQL = f"""
INSERT INTO pghistory_context (id, created_at, updated_at, metadata)
SELECT id, at, at, jsonb_build_object('user', who, 'url', url)
FROM (
    SELECT {_context("claim", "i")}, claimed_at, claimed_by,
        '/admin/safety/reviewqueueitem/next/'
    FROM history_batch WHERE claimed_at IS NOT NULL AND decided_at IS NOT NULL
    UNION ALL
    SELECT {_context("decide", "i")}, decided_at, decided_by,
        '/admin/safety/reviewqueueitem/' || report_id || '/decide/'
    FROM history_batch WHERE decided_at IS NOT NULL
    UNION ALL
    SELECT {_context("approve", "i")}, approved_at, editor_id,
        '/admin/publishing/readyvideo/' || video_id || '/approve/'
    FROM history_batch WHERE approved_at IS NOT NULL
    UNION ALL
    SELECT {_context("archive", "i")}, {ARCHIVED_AT}, archived_by, '/admin/videos/video/'
    FROM history_batch WHERE status = 'archived'
    UNION ALL
    SELECT {_context("retract", "p.publish_id::text")}, p."timestamp", h.editor_id,
        '/admin/publishing/publishreceipt/'
    FROM history_batch h JOIN publish_receipts p ON p.video_id = h.video_id
    WHERE p.status = 'retracted'
) AS requests(id, at, who, url)
ON CONFLICT (id) DO NOTHING
"""

# A video's status steps: (place in its path, status, when, context) for the
# steps its final status went through.
VIDEO_EVENTS_SQL = f"""
INSERT INTO videos_videoevent (pgh_id, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
    video_id, state_version, title, status, published_at, created_at, persona_id)
SELECT {event_id("videos_videoevent", "i", "place")}, at,
    CASE place WHEN 1 THEN 'insert' ELSE 'update' END, video_id, context,
    video_id, GREATEST(0, state_version - (steps - place)), title, step,
    CASE WHEN step = 'published' THEN published_at END, created_at, persona_id
FROM (
    SELECT h.*, s.step, s.at, s.context,
        row_number() OVER (PARTITION BY h.i ORDER BY s.ord) AS place,
        count(*) OVER (PARTITION BY h.i) AS steps
    FROM history_batch h
    CROSS JOIN LATERAL (VALUES
        (1, 'draft', h.created_at, NULL::uuid, true),
        (2, 'producing', COALESCE(h.produced_at, h.created_at), NULL, h.status <> 'draft'),
        (3, 'failed', COALESCE(h.failed_at, h.produced_at, h.created_at), NULL,
            h.status = 'failed'),
        (4, 'in_review', h.checked_at, NULL, h.report_id IS NOT NULL AND h.human),
        (5, 'rejected', h.decided_at, {_context("decide", "h.i")},
            h.status = 'rejected' AND h.decided_at IS NOT NULL),
        (6, 'ready', COALESCE(h.decided_at, h.checked_at),
            CASE WHEN h.decided_at IS NOT NULL THEN {_context("decide", "h.i")} END,
            h.report_id IS NOT NULL AND h.status IN ('ready', 'approved', 'published', 'archived')
            AND (NOT h.human OR h.decided_at IS NOT NULL)),
        (7, 'approved', h.approved_at, {_context("approve", "h.i")},
            h.status IN ('approved', 'published') AND h.approved_at IS NOT NULL),
        (8, 'published', h.published_at, NULL, h.status = 'published'),
        (9, 'archived', {ARCHIVED_AT}, {_context("archive", "h.i")}, h.status = 'archived')
    ) AS s(ord, step, at, context, taken)
    WHERE s.taken
) AS steps
ON CONFLICT (pgh_id) DO NOTHING
"""

# Keys the pipeline adds to a task's payload as it runs and when it ends.
_RUN_KEYS = "ARRAY['worker', 'started_at']"
_END_KEYS = "ARRAY['finished_at', 'output', 'attempts', 'error', 'cancelled_because']"

# A task's status steps: a pipeline task is queued, runs and ends (or is
# cancelled); a publish task is queued by the approval, then each attempt
# runs and fails back to the queue until one succeeds or the last fails.
TASK_STEPS_SQL = f"""
CREATE TEMPORARY TABLE history_task_steps ON COMMIT DROP AS
SELECT h.i, t.*, s.ord, s.at, s.step, s.version, s.body, s.tries, s.error, s.context
FROM history_batch h
JOIN tasks t ON t.video_id = h.video_id AND t.type <> 'publish'
CROSS JOIN LATERAL (VALUES
    (1, t.created_at, 'queued', 0, t.payload - {_RUN_KEYS} - {_END_KEYS}, true),
    (2, COALESCE((t.payload ->> 'started_at')::timestamptz, t.created_at), 'running', 1,
        t.payload - {_END_KEYS}, t.status IN ('running', 'succeeded', 'failed')),
    (3, COALESCE((t.payload ->> 'finished_at')::timestamptz, t.created_at), t.status,
        t.state_version, t.payload, t.status IN ('succeeded', 'failed', 'cancelled'))
) AS s0(ord, at, step, version, body, taken)
CROSS JOIN LATERAL (SELECT s0.*, t.attempts AS tries, t.last_error AS error,
                           NULL::uuid AS context) AS s
WHERE s0.taken
UNION ALL
SELECT h.i, t.*, s.ord, s.at, s.step, s.version, t.payload, s.tries, s.error, s.context
FROM history_batch h
JOIN tasks t ON t.video_id = h.video_id AND t.type = 'publish'
LEFT JOIN publish_receipts p ON p.task_id = t.task_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN p.status = 'retracted' THEN GREATEST(h.published_at, t.not_before)
                ELSE GREATEST(p."timestamp", t.not_before) END AS done_at
) AS d
CROSS JOIN LATERAL (
    SELECT 1 AS ord, t.created_at AS at, 'queued' AS step, 0 AS version, 0 AS tries,
        NULL::text AS error, {_context("approve", "h.i")} AS context
    UNION ALL
    -- Attempt a runs at step 2a and, but for the last, fails back at 2a + 1.
    SELECT 2 * a + back,
        CASE WHEN a = t.attempts AND back = 1 THEN d.done_at
             ELSE t.not_before
                  + (d.done_at - t.not_before) * ((a - 1 + back * 0.5) / t.attempts)::float8
        END,
        CASE WHEN back = 0 THEN 'running' WHEN a < t.attempts THEN 'queued' ELSE t.status END,
        CASE WHEN a = t.attempts AND back = 1 THEN t.state_version
             ELSE (2 * a - 1 + back) * t.state_version / (2 * t.attempts) END,
        a, CASE WHEN back = 1 THEN t.last_error END, NULL::uuid
    FROM generate_series(1, t.attempts) AS a CROSS JOIN (VALUES (0), (1)) AS b(back)
    WHERE t.status IN ('succeeded', 'failed')
) AS s
"""

TASK_EVENTS_SQL = f"""
INSERT INTO videos_taskevent (pgh_id, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
    task_id, state_version, video_id, type, payload, status, created_at, not_before, attempts,
    last_error)
SELECT {event_id("videos_taskevent", "i", "place")}, at,
    CASE ord WHEN 1 THEN 'insert' ELSE 'update' END, task_id, context,
    task_id, version, video_id, type, body, step, created_at, not_before, tries, error
FROM (
    SELECT s.*, row_number() OVER (PARTITION BY i ORDER BY at, created_at, task_id, ord) AS place
    FROM history_task_steps s
) AS placed
ON CONFLICT (pgh_id) DO NOTHING
"""

ARTIFACT_EVENTS_SQL = f"""
INSERT INTO videos_artifactevent (pgh_id, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
    artifact_id, video_id, kind, s3_path, created_at)
SELECT {event_id("videos_artifactevent", "i", "place")}, created_at, 'insert', artifact_id, NULL,
    artifact_id, video_id, kind, s3_path, created_at
FROM (
    SELECT h.i, a.*, row_number() OVER (PARTITION BY h.i ORDER BY a.created_at, a.artifact_id)
        AS place
    FROM history_batch h JOIN artifacts a ON a.video_id = h.video_id
) AS placed
ON CONFLICT (pgh_id) DO NOTHING
"""

# A report is inserted by the safety check; one a person decided was claimed,
# then decided (safety.services.claim and decide, which clears the claim).
REPORT_EVENTS_SQL = f"""
INSERT INTO safety_safetyreportevent (pgh_id, pgh_created_at, pgh_label, pgh_obj_id,
    pgh_context_id, report_id, task_id, score, issues, requires_human_review, created_at,
    review_status, claimed_by_id)
SELECT {event_id("safety_safetyreportevent", "h.i", "s.place")}, s.at,
    CASE s.place WHEN 1 THEN 'insert' ELSE 'update' END, r.report_id, s.context,
    r.report_id, r.task_id, r.score, r.issues, r.requires_human_review, r.created_at,
    s.verdict, s.claimed_by
FROM history_batch h
JOIN safety_reports r ON r.report_id = h.report_id
CROSS JOIN LATERAL (VALUES
    (1, r.created_at, NULL::uuid, CASE WHEN h.decided_at IS NULL THEN r.review_status END,
        CASE WHEN h.decided_at IS NULL THEN r.claimed_by_id END, true),
    (2, h.claimed_at, {_context("claim", "h.i")}, NULL, h.claimed_by,
        h.decided_at IS NOT NULL AND h.claimed_at IS NOT NULL),
    (3, h.decided_at, {_context("decide", "h.i")}, r.review_status, r.claimed_by_id,
        h.decided_at IS NOT NULL)
) AS s(place, at, context, verdict, claimed_by, taken)
WHERE s.taken
ON CONFLICT (pgh_id) DO NOTHING
"""

# A receipt is inserted pending by the approval; the worker publishes it or
# fails it; an editor may retract a published one.
RECEIPT_EVENTS_SQL = f"""
INSERT INTO publishing_publishreceiptevent (pgh_id, pgh_created_at, pgh_label, pgh_obj_id,
    pgh_context_id, publish_id, video_id, channel, status, remote_id, "timestamp", task_id, error)
SELECT {event_id("publishing_publishreceiptevent", "i", "place")}, at,
    CASE ord WHEN 1 THEN 'insert' ELSE 'update' END, publish_id, context,
    publish_id, video_id, channel, step, remote, at, task_id, failure
FROM (
    SELECT p.publish_id, p.video_id, p.channel, p.task_id, h.i, s.*,
        row_number() OVER (PARTITION BY h.i ORDER BY s.at, p.publish_id, s.ord) AS place
    FROM history_batch h
    JOIN publish_receipts p ON p.video_id = h.video_id
    JOIN tasks t ON t.task_id = p.task_id
    CROSS JOIN LATERAL (VALUES
        (1, t.created_at, 'pending', NULL, NULL, {_context("approve", "h.i")}, true),
        (2, GREATEST(t.created_at, h.published_at), 'published', p.remote_id, NULL, NULL,
            p.status = 'retracted'),
        (3, GREATEST(t.created_at, p."timestamp"), p.status, p.remote_id, p.error,
            CASE WHEN p.status = 'retracted' THEN {_context("retract", "p.publish_id::text")} END,
            p.status <> 'pending')
    ) AS s(ord, at, step, remote, failure, context, taken)
    WHERE s.taken
) AS placed
ON CONFLICT (pgh_id) DO NOTHING
"""

# Seeded personas (seed_scale.PERSONAS_SQL) were inserted once each.
PERSONA_EVENTS_SQL = f"""
INSERT INTO personas_personaevent (pgh_id, pgh_created_at, pgh_label, pgh_obj_id,
    pgh_context_id, persona_id, name, tone_profile, created_at)
SELECT {BASE} + n, p.created_at, 'insert', p.persona_id, NULL,
    p.persona_id, p.name, p.tone_profile, p.created_at
FROM generate_series(1, %s) AS n
JOIN personas p ON p.persona_id = md5('scale-persona-' || n)::uuid
ON CONFLICT (pgh_id) DO NOTHING
"""

# Whether the batch ending at video `last` is loaded: its insert event is
# written in the same transaction as every other event of the batch.
LOADED_SQL = f"""
SELECT EXISTS (
    SELECT FROM videos_videoevent WHERE pgh_id = {event_id("videos_videoevent", "%s", "1")}
)
"""

BATCH_STEPS = (
    ("history batch", BATCH_SQL),
    ("contexts", CONTEXTS_SQL),
    ("video events", VIDEO_EVENTS_SQL),
    ("task steps", TASK_STEPS_SQL),
    ("task events", TASK_EVENTS_SQL),
    ("artifact events", ARTIFACT_EVENTS_SQL),
    ("report events", REPORT_EVENTS_SQL),
    ("receipt events", RECEIPT_EVENTS_SQL),
)
DROP_BATCH_TABLES = "DROP TABLE IF EXISTS history_batch, history_task_steps"

EVENT_TABLES = (
    "personas_personaevent",
    "videos_videoevent",
    "videos_taskevent",
    "videos_artifactevent",
    "safety_safetyreportevent",
    "publishing_publishreceiptevent",
    "pghistory_context",
)


@dataclass
class HistoryLoad:
    """What a history load did."""

    batches: int = 0  # batches loaded by this run
    events: int = 0  # events (and contexts) this run inserted
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, all jobs

    def record(self, inserted: int, timings: dict[str, float]) -> None:
        self.batches += 1
        self.events += inserted
        for step, seconds in timings.items():
            self.timings[step] = self.timings.get(step, 0.0) + seconds


def load_history(
    *,
    batches: list[tuple[int, int]],
    editor_ids: list[int],
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> HistoryLoad:
    """Give the seeded videos of `batches` ((first, last) numbers, all loaded)
    and their rows their history; batches loaded already are skipped.
    `progress(n)` is told of each batch's videos, loaded or found there."""
    if max_task_events(settings.PUBLISH_MAX_ATTEMPTS) > SLOTS["videos_taskevent"]:
        raise ValueError("PUBLISH_MAX_ATTEMPTS is too large for the seeded task events' ids.")
    started = time.monotonic()
    result = HistoryLoad()
    with connection.cursor() as cursor:
        cursor.execute(PERSONA_EVENTS_SQL, [PERSONAS])
    todo = []
    for first, last in batches:
        if _loaded(last):
            if progress:
                progress(last - first + 1)
        else:
            todo.append((first, last))
    if jobs == 1 or len(todo) < 2:
        for first, last in todo:
            result.record(*_load_batch(first, last, editor_ids))
            if progress:
                progress(last - first + 1)
    else:
        _load_in_parallel(todo, editor_ids, jobs, result, progress)
    if todo and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for table in EVENT_TABLES:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    result.seconds = time.monotonic() - started
    return result


def _loaded(last: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(LOADED_SQL, [last])
        return cursor.fetchone()[0]


def _load_batch(first: int, last: int, editor_ids: list[int]) -> tuple[int, dict]:
    """One batch's events in one transaction: (how many inserted, seconds per step)."""
    timings, inserted = {}, 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Estimates through the temporary tables would JIT-compile every statement.
        cursor.execute("SET LOCAL jit = off")
        for name, sql in BATCH_STEPS:
            began = time.monotonic()
            params = [editor_ids, editor_ids, first, last] if sql is BATCH_SQL else None
            cursor.execute(sql, params)
            if sql.lstrip().startswith("INSERT"):
                inserted += cursor.rowcount
            timings[name] = time.monotonic() - began
        cursor.execute(DROP_BATCH_TABLES)
    return inserted, timings


def _load_in_parallel(todo, editor_ids, jobs: int, result: HistoryLoad, progress) -> None:
    def load(first, last):
        return _load_on_own_connection(first, last, editor_ids)

    load_in_parallel(
        todo, load, jobs=jobs, name="seed_history", record=result.record, progress=progress
    )


def _load_on_own_connection(first: int, last: int, editor_ids) -> tuple[int, dict]:
    try:
        return _load_batch(first, last, editor_ids)
    finally:
        connection.close()  # this thread's own connection


def event_counts() -> dict[str, int]:
    """Events per table (and contexts), from the statistics: exact counts of
    tens of millions of rows take minutes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(EVENT_TABLES)],
        )
        return dict(cursor.fetchall())
