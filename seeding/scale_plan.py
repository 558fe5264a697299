"""What `seed_scale` loads for each video, as SQL: the batch's plan (one row
per missing video: its draws, status, age, steps, report and receipts), the
personas the videos are made by, and the helpers every batch statement is
written with. The statements that fill each table from the plan are in
`scale_rows`; `scale` runs them.

Video number i is a pure function of i and the run's clock (see `scale`):
every attribute is read from SHA-256 hashes of i, never from random().
"""

from videos.models import TaskType

PERSONAS = 2000
PENDING_DAYS = 7

# The batch statements run with pgtrigger's injected set_config and its
# parameter, so none has a parameter of its own but `plan`, and none may hold
# a literal percent sign (use mod(), not %).


def sha256_hex(text: str) -> str:
    """SQL for the SHA-256 of a text expression, in hex: eight draws for `draw`."""
    return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"


def draw(column: str, slot: int) -> str:
    """A uniform draw in [0, 1): 32 bits (hex digits 8*slot+1 …) of a `sha256_hex` column."""
    if not 0 <= slot < 8:
        raise ValueError("A SHA-256 holds eight 32-bit draws.")
    return f"(('x' || substr({column}, {1 + 8 * slot}, 8))::bit(32)::bigint / 4294967296.0::float8)"


def pick(array: str, share: str) -> str:
    """An element of `array` (a text[] column of scale_run) chosen by `share`, in [0, 1)."""
    return f"{array}[1 + floor({share} * cardinality({array}))::int]"


def iso(timestamp: str) -> str:
    """ISO 8601 in UTC, as Python's isoformat() writes it (the payloads' format)."""
    return f"""to_char({timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def step_start(k: str) -> str:
    """When pipeline step k (1 script … 5 safety check) started: six minutes
    apart, squeezed into the video's age when it is younger than that."""
    return f"(created_at + LEAST(interval '6 minutes' * {k}, age * (0.02 * {k})))"


def step_end(k: str) -> str:
    took = f"LEAST(interval '90 seconds' + interval '30 seconds' * mod(i + {k}, 7), age * 0.01)"
    return f"({step_start(k)} + {took})"


def after(start: str, wait: str) -> str:
    """`wait` after `start`, or halfway from `start` to the anchor if sooner:
    so every seeded moment is in the past, in order."""
    return f"({start} + LEAST({wait}, (anchor - {start}) * 0.5))"


def persona_number(share: str) -> str:
    """The persona (1..PERSONAS) of a video: a few make many videos, most make few."""
    return f"(1 + floor({PERSONAS} * {share} * {share})::int)"


# The pipeline's steps in order (the task types before publishing).
PIPELINE = tuple(
    step.value
    for step in (
        TaskType.SCRIPT,
        TaskType.AUDIO,
        TaskType.RENDER,
        TaskType.THUMBNAIL,
        TaskType.SAFETY_CHECK,
    )
)


def steps_array(status: str) -> str:
    return "(ARRAY[" + ", ".join(f"'{step}:{status}'" for step in PIPELINE) + "])"


SUCCEEDED, FAILED, CANCELLED = (steps_array(s) for s in ("succeeded", "failed", "cancelled"))
RUNNING, QUEUED = steps_array("running"), steps_array("queued")

PRESENT_SQL = """
SELECT count(*) FROM generate_series(%s::bigint, %s::bigint) AS i
WHERE EXISTS (SELECT FROM videos v WHERE v.video_id = md5('scale-video-' || i)::uuid)
"""

# One row per missing video of the batch: its draws, what it is and when
# things happened to it. The shares below give, per video, about 4 tasks,
# 2.3 artifacts, 0.5 safety reports (10% of them for a human) and 0.3
# publish receipts (see tests/seeding/test_seed_scale.py).
PLAN_SQL = f"""
CREATE TEMPORARY TABLE scale_plan ON COMMIT DROP AS
WITH numbered AS MATERIALIZED (
    SELECT i, md5('scale-video-' || i)::uuid AS video_id,
           {sha256_hex("'scale-a-' || i")} AS a, {sha256_hex("'scale-b-' || i")} AS b,
           {sha256_hex("'scale-c-' || i")} AS c, {sha256_hex("'scale-d-' || i")} AS d
    FROM generate_series(%s::bigint, %s::bigint) AS i
    WHERE NOT EXISTS (SELECT FROM videos v WHERE v.video_id = md5('scale-video-' || i)::uuid)
), drawn AS MATERIALIZED (
    SELECT i, video_id,
        {draw("a", 0)} AS u_age, {draw("a", 1)} AS u_report, {draw("a", 2)} AS u_verdict,
        {draw("a", 3)} AS u_fate, {draw("a", 4)} AS u_steps, {draw("a", 5)} AS u_wait1,
        {draw("a", 6)} AS u_wait2, {draw("a", 7)} AS u_persona,
        {draw("b", 0)} AS u_template, {draw("b", 1)} AS u_subject, {draw("b", 2)} AS u_subject2,
        {draw("b", 3)} AS u_number, {draw("b", 4)} AS u_place, {draw("b", 5)} AS u_rare,
        {draw("b", 6)} AS u_episode, {draw("b", 7)} AS u_actor,
        {draw("c", 0)} AS u_channel, {draw("c", 1)} AS u_receipts, {draw("c", 2)} AS u_receipt2,
        {draw("c", 3)} AS u_issues, {draw("c", 4)} AS u_score, {draw("c", 5)} AS u_schedule,
        {draw("c", 6)} AS u_reason, {draw("c", 7)} AS u_running,
        {draw("d", 0)} AS u_qualifier, {draw("d", 1)} AS u_qualifier_pick,
        -- Videos 1-7 show the rare cases, so every page has rows at any size.
        CASE WHEN i <= 7 THEN (ARRAY['ready', 'in_review', 'producing', 'draft', 'approved',
                                     'rejected', 'escalated'])[i] END AS showcase
    FROM numbered
), aged AS MATERIALIZED (
    SELECT d.*,
        CASE showcase
            WHEN 'ready' THEN u_age * 14 WHEN 'approved' THEN u_age * 14
            WHEN 'in_review' THEN u_age * ({PENDING_DAYS} - 1)
            WHEN 'producing' THEN u_age * 0.5 WHEN 'draft' THEN u_age * 0.5
            WHEN 'rejected' THEN {PENDING_DAYS} + 1 + u_age * 350
            WHEN 'escalated' THEN {PENDING_DAYS} + 1 + u_age * 20
            ELSE u_age * 365 END AS age_days,
        -- Half the videos reach a safety report; a tenth of reports need a human.
        CASE
            WHEN showcase IN ('ready', 'approved') THEN 'auto'
            WHEN showcase IN ('in_review', 'rejected', 'escalated') THEN 'human'
            WHEN showcase IS NOT NULL THEN 'none'
            WHEN u_report < 0.05 THEN 'human'
            WHEN u_report < 0.5 THEN 'auto'
            ELSE 'none' END AS report,
        {persona_number("u_persona")} AS persona_no
    FROM drawn d
), judged AS MATERIALIZED (
    SELECT a.*,
        CASE WHEN report <> 'human' OR age_days < {PENDING_DAYS} THEN NULL
             WHEN showcase IN ('rejected', 'escalated') THEN showcase
             WHEN u_verdict < 0.58 THEN 'approved'
             -- A lead settles an escalation within a month; the old ones ended rejected.
             WHEN u_verdict < 0.97 OR age_days >= {PENDING_DAYS} + 30 THEN 'rejected'
             ELSE 'escalated' END AS verdict,
        r.anchor - age_days * interval '1 day' AS created_at,
        age_days * interval '1 day' AS age,
        mod(persona_no, cardinality(r.niches)) AS niche
    FROM aged a CROSS JOIN scale_run r
), placed AS MATERIALIZED (
    SELECT j.*,
        CASE
            WHEN report = 'human' AND (verdict IS NULL OR verdict = 'escalated') THEN 'in_review'
            WHEN showcase IS NOT NULL THEN showcase
            WHEN verdict = 'rejected' THEN 'rejected'
            -- Cleared: editors approve within days; what they never approved is archived.
            WHEN report <> 'none' AND age_days < 14 THEN
                CASE WHEN u_fate < 0.45 THEN 'ready' WHEN u_fate < 0.60 THEN 'approved'
                     WHEN u_fate < 0.95 THEN 'published' ELSE 'archived' END
            WHEN report <> 'none' THEN
                CASE WHEN u_fate < 0.60 THEN 'published' WHEN u_fate < 0.96 THEN 'archived'
                     ELSE 'ready' END
            -- Never checked: still in the pipeline, failed in it, or abandoned.
            WHEN age_days < 2 THEN
                CASE WHEN u_fate < 0.25 THEN 'draft' WHEN u_fate < 0.75 THEN 'producing'
                     ELSE 'failed' END
            ELSE CASE WHEN u_fate < 0.45 THEN 'failed' ELSE 'archived' END
        END AS status,
        CASE WHEN report = 'auto' THEN
                 CASE WHEN u_issues < 0.5 THEN 0 WHEN u_issues < 0.85 THEN 1 ELSE 2 END
             WHEN report = 'human' THEN
                 CASE WHEN u_issues < 0.5 THEN 1 WHEN u_issues < 0.85 THEN 2 ELSE 3 END
             ELSE 0 END AS issue_count
    FROM judged j
), stepped AS MATERIALIZED (
    SELECT p.*,
        CASE
            WHEN report <> 'none' THEN {SUCCEEDED}
            WHEN status = 'draft' THEN
                CASE WHEN u_steps < 0.5 THEN '{{}}'::text[] ELSE {QUEUED}[1:1] END
            WHEN status = 'producing' THEN
                {SUCCEEDED}[1:floor(u_steps * 5)::int]
                || (CASE WHEN u_running < 0.7 THEN {RUNNING} ELSE {QUEUED} END)
                   [1 + floor(u_steps * 5)::int:1 + floor(u_steps * 5)::int]
            WHEN status = 'failed' THEN
                {SUCCEEDED}[1:fail_at - 1] || {FAILED}[fail_at:fail_at]
                || {CANCELLED}[fail_at + 1:4]
            -- Abandoned before the safety check.
            WHEN u_steps < 0.3 THEN {SUCCEEDED}[1:1] || {CANCELLED}[2:2]
            WHEN u_steps < 0.6 THEN {SUCCEEDED}[1:1]
            ELSE {CANCELLED}[1:1]
        END AS steps,
        CASE WHEN issue_count = 0 THEN round((u_score * 0.08)::numeric, 2)
             WHEN report = 'auto' THEN round((0.05 + u_score * 0.3)::numeric, 2)
             ELSE round((0.4 + u_score * 0.6)::numeric, 2) END::float8 AS score,
        {step_end("5")} AS checked_at
    FROM placed p
    -- Where a failed video's pipeline broke: early steps fail most.
    CROSS JOIN LATERAL (SELECT CASE WHEN u_steps < 0.35 THEN 1 WHEN u_steps < 0.75 THEN 2
                                    WHEN u_steps < 0.9 THEN 3 WHEN u_steps < 0.95 THEN 4
                                    ELSE 5 END AS fail_at) f
), decided AS MATERIALIZED (
    SELECT s.*,
        CASE WHEN verdict IS NOT NULL THEN
            {after("checked_at", "interval '10 minutes' + u_wait1 * interval '2 days'")}
        END AS decided_at
    FROM stepped s CROSS JOIN scale_run r
), approved AS MATERIALIZED (
    SELECT d.*,
        CASE WHEN status IN ('approved', 'published') THEN
            {
    after("COALESCE(decided_at, checked_at)", "interval '1 hour' + u_wait2 * interval '3 days'")
}
        END AS approved_at
    FROM decided d CROSS JOIN scale_run r
), titled AS MATERIALIZED (
    SELECT a.*,
        format({pick("r.templates", "power(u_template, 1.6)")},
               r.subjects[niche * r.per_niche + 1 + floor(u_subject * r.per_niche)::int],
               r.subjects[niche * r.per_niche + 1
                          + mod(floor(u_subject * r.per_niche)::int + 1
                                + floor(u_subject2 * (r.per_niche - 1))::int, r.per_niche)],
               {pick("r.numbers", "u_number")},
               extract(year FROM created_at)::int,
               {pick("r.places", "u_place * u_place")})
        || CASE WHEN u_qualifier < 0.35 THEN ' ' || {pick("r.qualifiers", "u_qualifier_pick")}
                ELSE '' END
        || CASE WHEN u_rare < 0.06 THEN
                    ' (' || {pick("r.rare_words", "power(u_rare / 0.06, 3)")} || ')'
                WHEN u_rare < 0.08 THEN ' — ep. ' || (1 + floor(u_episode * 9999))::int
                ELSE '' END AS raw_title,
        CASE WHEN status = 'published' THEN
            {after("approved_at", "interval '2 minutes' + u_wait1 * interval '20 minutes'")}
        END AS published_at,
        CASE WHEN status IN ('approved', 'published') THEN
            LEAST(cardinality(r.channels),
                  1 + (u_receipts < CASE status WHEN 'published' THEN 0.12 ELSE 0.3 END)::int)
        ELSE 0 END AS receipt_count
    FROM approved a CROSS JOIN scale_run r
)
SELECT t.*,
    upper(left(raw_title, 1)) || substr(raw_title, 2) AS title,
    md5('scale-persona-' || persona_no)::uuid AS persona_id,
    CASE status WHEN 'draft' THEN 0 WHEN 'producing' THEN 1 WHEN 'failed' THEN 2
                WHEN 'in_review' THEN 2 WHEN 'rejected' THEN 3 WHEN 'ready' THEN 3
                WHEN 'approved' THEN 4 WHEN 'published' THEN 5 ELSE 4 END AS state_version
FROM titled t
"""

PERSONAS_SQL = f"""
INSERT INTO personas (persona_id, name, tone_profile, created_at)
SELECT md5('scale-persona-' || n)::uuid,
    r.first_names[1 + mod(n, cardinality(r.first_names))] || ' '
        || r.last_names[1 + mod(n, cardinality(r.last_names))],
    jsonb_build_object(
        'voice', {pick("r.voices", draw("h", 0))},
        'pace', {pick("r.paces", draw("h", 1))},
        'register', {pick("r.registers", draw("h", 2))},
        'humour', round({draw("h", 3)}::numeric, 1),
        'niche', r.niches[1 + mod(n, cardinality(r.niches))],
        'audience', r.audiences[1 + mod(n, cardinality(r.niches))],
        'language', {pick("r.languages", draw("h", 4))},
        'tts', jsonb_build_object(
            'engine', 'neural-v2',
            'voice_id', 'voice-' || lpad(n::text, 4, '0'),
            'speaking_rate', round((0.85 + {draw("h", 5)} * 0.35)::numeric, 2))),
    r.anchor - interval '366 days' - {draw("h", 6)} * interval '60 days'
FROM (
    -- The personas videos 1..N are made by (the plan's persona_no).
    SELECT DISTINCT {persona_number(draw("a", 7))} AS n
    FROM generate_series(1, %s::bigint) AS i
    CROSS JOIN LATERAL (SELECT {sha256_hex("'scale-a-' || i")} AS a) AS hashed
) AS wanted
CROSS JOIN scale_run r
CROSS JOIN LATERAL (SELECT {sha256_hex("'scale-persona-' || n")} AS h) AS traits
ON CONFLICT (persona_id) DO NOTHING
"""
