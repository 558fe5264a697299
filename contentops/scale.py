"""A large, realistic dataset for benchmarking the admin: `manage.py seed_scale`.

Video number i (1..N) and everything that hangs off it are a pure function of
i and the run's clock: ids are md5 hashes of names such as `scale-video-<i>`,
and every attribute (persona, title, status, age, tasks, report, receipts) is
read from md5 hashes of i, never from random(). The database makes the rows
itself, one batch of videos per transaction (`INSERT … SELECT … FROM
generate_series`), so nothing loops over rows in Python. That makes a load

- repeatable: the same N loads the same rows; a rerun finds every video there
  and inserts nothing;
- resumable: a batch commits whole or not at all, so an interrupted load goes
  on where it stopped, and a larger N adds only the videos that are missing.

Times are relative to when the run started (the anchor): `created_at` spreads
over the year before it, and a report that needs a human is pending when it is
younger than PENDING_DAYS, decided (with its review log) when older.

The pghistory triggers of the six tracked tables are skipped for the load
(`pgtrigger.ignore`, which holds only in the loading transactions): seeded rows
have no insert events in the History pages. Changes made to them later are
recorded as usual.

Artifacts are rows only: their S3 paths are valid and in S3_BUCKET, but no
object is uploaded, so previews and publishing find the files missing.
"""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import pgtrigger
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from contentops import scale_vocabulary as words
from personas.models import Persona
from publishing.models import PublishReceipt
from safety.models import SafetyReport
from videos.models import Artifact, Task, Video

PERSONAS = 2000
DEFAULT_BATCH_SIZE = 25_000
PENDING_DAYS = 7
# Any constant works; it only has to be the same in every seed_scale process.
_ADVISORY_LOCK = 0x5EED_5CA1E

# Who decided the seeded reports and approved the seeded publishes. They
# cannot log in (inactive, no usable password); they exist to be named.
MODERATORS = tuple(f"scale-moderator-{n}" for n in range(1, 7))
EDITORS = tuple(f"scale-editor-{n}" for n in range(1, 4))

TRACKED_MODELS = (Persona, Video, Task, Artifact, SafetyReport, PublishReceipt)
# pghistory's insert triggers: `<app>.<Model>:insert_insert`.
INSERT_EVENT_TRIGGERS = tuple(f"{model._meta.label}:insert_insert" for model in TRACKED_MODELS)
TABLES = (
    "personas",
    "videos",
    "tasks",
    "artifacts",
    "safety_reports",
    "safety_review_actions",
    "publish_receipts",
)


class ScaleSeedError(Exception):
    """Seeding cannot go on; the message says why, in one line."""


@dataclass
class ScaleSeed:
    """What a run did."""

    videos: int  # requested: videos 1..N
    loaded: int = 0  # videos this run inserted
    batches: int = 0  # batches that had something to load
    check_foreign_keys: bool = True
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, after
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, all jobs

    def record(self, loaded: int, timings: dict[str, float]) -> None:
        self.loaded += loaded
        self.batches += bool(loaded)
        for step, seconds in timings.items():
            self.timings[step] = self.timings.get(step, 0.0) + seconds


@dataclass(frozen=True)
class Run:
    """What every batch of one run shares: the scale_run row, and how to load."""

    parameters: dict
    check_foreign_keys: bool


def seed_scale(
    *,
    videos: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    jobs: int = 1,
    check_foreign_keys: bool | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ScaleSeed:
    """Make sure videos 1..`videos` and everything they hold are loaded.

    `jobs` batches load at once, each on its own connection (so with jobs > 1
    the batches commit outside any transaction the caller holds).
    `check_foreign_keys` False skips the foreign key checks with the history
    triggers (session_replication_role = replica: a superuser's, or a role
    granted SET on it); None does so when the role may. `progress(n)` is
    called after each batch with the number of videos it covered (loaded, or
    found there already).
    """
    if min(videos, batch_size, jobs) < 1:
        raise ScaleSeedError("--videos, --batch-size and --jobs must be at least 1.")
    if jobs > 1 and connection.in_atomic_block:
        raise ScaleSeedError(
            "Parallel jobs load on their own connections, outside this transaction."
        )
    started = time.monotonic()
    with _exclusive():
        may_skip = may_skip_foreign_key_checks()
        if check_foreign_keys is False and not may_skip:
            raise ScaleSeedError(
                "Skipping foreign key checks needs a superuser or SET on session_replication_role."
            )
        moderators, editors = ensure_actors()
        run = Run(
            run_parameters(now or timezone.now(), moderators, editors),
            check_foreign_keys=not may_skip if check_foreign_keys is None else check_foreign_keys,
        )
        result = ScaleSeed(videos=videos, check_foreign_keys=run.check_foreign_keys)
        todo = _missing_batches(videos, batch_size, result, progress)
        if todo:
            with _run_table(run.parameters):
                with _timer(result.timings, "personas"), _loading(run) as cursor:
                    # Up front: concurrent batches would wait on each other's personas.
                    cursor.execute(PERSONAS_SQL, [videos])
                if jobs == 1:
                    _load_here(run, todo, result, progress)
                else:
                    _load_in_parallel(run, todo, jobs, result, progress)
            with _timer(result.timings, "analyze"):
                analyze()
    result.counts = table_counts()
    result.seconds = time.monotonic() - started
    return result


def batches(videos: int, size: int) -> Iterator[tuple[int, int]]:
    """(first, last) video numbers of each batch, in order."""
    for first in range(1, videos + 1, size):
        yield first, min(first + size - 1, videos)


def _missing_batches(videos: int, batch_size: int, result: ScaleSeed, progress) -> list:
    """The batches not loaded whole yet; progress is told of the others."""
    todo = []
    with _timer(result.timings, "check"):
        for first, last in batches(videos, batch_size):
            if _present(first, last) < last - first + 1:
                todo.append((first, last))
            elif progress:
                progress(last - first + 1)
    return todo


def _load_here(run: Run, todo, result: ScaleSeed, progress) -> None:
    for first, last in todo:
        timings = {}
        result.record(load_batch(run, first, last, timings=timings), timings)
        if progress:
            progress(last - first + 1)


def _load_in_parallel(run: Run, todo, jobs: int, result: ScaleSeed, progress) -> None:
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="seed_scale")
    try:
        futures = {pool.submit(_load_on_own_connection, run, *batch): batch for batch in todo}
        for future in as_completed(futures):
            result.record(*future.result())
            if progress:
                first, last = futures[future]
                progress(last - first + 1)
    finally:
        # On an error or Ctrl-C: batches under way finish (each commits
        # whole), the others never start.
        pool.shutdown(wait=True, cancel_futures=True)


def _load_on_own_connection(run: Run, first: int, last: int) -> tuple[int, dict]:
    timings = {}
    try:
        with _run_table(run.parameters):
            return load_batch(run, first, last, timings=timings), timings
    finally:
        connection.close()  # this thread's own connection


class _exclusive:
    """One seed_scale at a time per database: two would load the same batches."""

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_LOCK])
            if not cursor.fetchone()[0]:
                raise ScaleSeedError("Another seed_scale is loading this database; wait for it.")

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_LOCK])


def may_skip_foreign_key_checks() -> bool:
    """Whether this role may set session_replication_role (PostgreSQL 15+)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('is_superuser') = 'on'"
            " OR has_parameter_privilege('session_replication_role', 'SET')"
        )
        return cursor.fetchone()[0]


def ensure_actors() -> tuple[list, list]:
    """The seeded moderators and editors (created once, never able to log in)."""
    User = get_user_model()

    def actor(username):
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_active": False, "is_staff": False}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    return [actor(name) for name in MODERATORS], [actor(name) for name in EDITORS]


def channel_names() -> list[str]:
    """The configured channels; without any, the development defaults' names."""
    return list(settings.PUBLISH_CHANNELS or settings.DEV_CHANNELS)


def load_batch(run: Run, first: int, last: int, *, timings: dict[str, float]) -> int:
    """Load the videos first..last that are missing, with everything they hold,
    in one transaction (the run's table must exist). Returns how many videos
    it inserted."""
    with _loading(run) as cursor:
        for name, sql in LOAD_STEPS:
            with _timer(timings, name):
                cursor.execute(sql, (first, last) if name == "plan" else None)
            if name == "videos":
                inserted = cursor.rowcount
        cursor.execute(DROP_BATCH_TABLES)
    return inserted


@contextmanager
def _loading(run: Run):
    """A batch's transaction, without history triggers: pgtrigger.ignore skips
    them, or replica mode skips them and the foreign key checks. Both hold
    for this transaction only."""
    with transaction.atomic():
        if run.check_foreign_keys:
            with pgtrigger.ignore(*INSERT_EVENT_TRIGGERS), connection.cursor() as cursor:
                _no_jit(cursor)
                yield cursor
        else:
            with connection.cursor() as cursor:
                _no_jit(cursor)
                cursor.execute("SET LOCAL session_replication_role = replica")
                yield cursor


def _no_jit(cursor) -> None:
    # Row estimates through the one-row run table mislead the planner into
    # JIT-compiling every statement, which costs seconds a batch.
    cursor.execute("SET LOCAL jit = off")


def _present(first: int, last: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(PRESENT_SQL, [first, last])
        return cursor.fetchone()[0]


@contextmanager
def _timer(timings: dict[str, float], name: str):
    started = time.monotonic()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.monotonic() - started


def analyze() -> None:
    """Fresh statistics (and, outside a transaction, a vacuum that marks the new
    pages all-visible), so plans and index-only scans are what they will be."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"{command} {table}")


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


# --- the run's parameters ------------------------------------------------------


def run_parameters(anchor: datetime, moderators, editors) -> dict:
    """What every batch reads: the clock, the bucket, channels, actors and the
    vocabularies (in the scale_run table, so batch statements need no parameters)."""
    reasons = settings.SAFETY_REASON_CODES
    subjects = [subject for _, _, niche in words.NICHES for subject in niche]
    per_niche = {len(niche) for _, _, niche in words.NICHES}
    if len(per_niche) != 1:
        raise ScaleSeedError("Every niche in scale_vocabulary.NICHES needs as many subjects.")
    return {
        "anchor": anchor,
        "bucket": settings.S3_BUCKET,
        "channels": channel_names(),
        "max_attempts": settings.PUBLISH_MAX_ATTEMPTS,
        "moderator_ids": [user.pk for user in moderators],
        "editor_ids": [user.pk for user in editors],
        "editor_names": [user.username for user in editors],
        "niches": [name for name, _, _ in words.NICHES],
        "audiences": [audience for _, audience, _ in words.NICHES],
        "subjects": subjects,
        "per_niche": per_niche.pop(),
        "templates": list(words.TITLE_TEMPLATES),
        "qualifiers": list(words.QUALIFIERS),
        "places": list(words.PLACES),
        "rare_words": list(words.RARE_WORDS),
        "numbers": list(words.NUMBERS),
        "first_names": list(words.FIRST_NAMES),
        "last_names": list(words.LAST_NAMES),
        "voices": list(words.VOICES),
        "paces": list(words.PACES),
        "registers": list(words.REGISTERS),
        "languages": list(words.LANGUAGES),
        "categories": [issue[0] for issue in words.ISSUES],
        "messages": [issue[1] for issue in words.ISSUES],
        "evidence": [issue[2] for issue in words.ISSUES],
        "excerpts": [issue[3] for issue in words.ISSUES],
        "detectors": list(words.DETECTORS),
        "approve_reasons": [code for code, _ in reasons["approve"]],
        "reject_reasons": [code for code, _ in reasons["reject"]],
        "escalate_reasons": [code for code, _ in reasons["escalate"]],
        "publish_errors": list(words.PUBLISH_ERRORS),
    }


@contextmanager
def _run_table(params: dict):
    """The run's parameters as a one-row temporary table of this connection."""
    columns = ", ".join(
        f"%({name})s::{_ARRAY_TYPES.get(name, 'text[]')} AS {name}"
        if isinstance(value, list)
        else f"%({name})s AS {name}"
        for name, value in params.items()
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.scale_run")
        cursor.execute(f"CREATE TEMPORARY TABLE scale_run AS SELECT {columns}", params)
        cursor.execute("ANALYZE scale_run")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.scale_run")


_ARRAY_TYPES = {"moderator_ids": "int[]", "editor_ids": "int[]", "numbers": "int[]"}


# --- SQL -----------------------------------------------------------------------
# The batch statements run with pgtrigger's injected set_config and its
# parameter, so none has a parameter of its own but `plan`, and none may hold
# a literal percent sign (use mod(), not %).


def _hash(text: str) -> str:
    """SQL for the SHA-256 of a text expression, in hex: eight draws for `_u`."""
    return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"


def _u(column: str, slot: int) -> str:
    """A uniform draw in [0, 1): 32 bits (hex digits 8*slot+1 …) of a `_hash` column."""
    if not 0 <= slot < 8:
        raise ValueError("A SHA-256 holds eight 32-bit draws.")
    return f"(('x' || substr({column}, {1 + 8 * slot}, 8))::bit(32)::bigint / 4294967296.0::float8)"


def _pick(array: str, draw: str) -> str:
    """An element of `array` (a text[] column of scale_run) chosen by `draw`."""
    return f"{array}[1 + floor({draw} * cardinality({array}))::int]"


def _iso(timestamp: str) -> str:
    """ISO 8601 in UTC, as Python's isoformat() writes it (the payloads' format)."""
    return f"""to_char({timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def _step_start(k: str) -> str:
    """When pipeline step k (1 script … 5 safety check) started: six minutes
    apart, squeezed into the video's age when it is younger than that."""
    return f"(created_at + LEAST(interval '6 minutes' * {k}, age * (0.02 * {k})))"


def _step_end(k: str) -> str:
    took = f"LEAST(interval '90 seconds' + interval '30 seconds' * mod(i + {k}, 7), age * 0.01)"
    return f"({_step_start(k)} + {took})"


def _after(start: str, wait: str) -> str:
    """`wait` after `start`, or halfway from `start` to the anchor if sooner:
    so every seeded moment is in the past, in order."""
    return f"({start} + LEAST({wait}, (anchor - {start}) * 0.5))"


def _persona_no(draw: str) -> str:
    """The persona (1..PERSONAS) of a video: a few make many videos, most make few."""
    return f"(1 + floor({PERSONAS} * {draw} * {draw})::int)"


_PIPELINE = ("script", "audio", "render", "thumbnail", "safety_check")
_MEDIA = ("script", "audio", "render", "thumbnail")
_EXTENSIONS = {"script": "txt", "audio": "mp3", "render": "mp4", "thumbnail": "jpg"}


def _steps(status: str) -> str:
    return "(ARRAY[" + ", ".join(f"'{step}:{status}'" for step in _PIPELINE) + "])"


_SUCCEEDED, _FAILED, _CANCELLED = _steps("succeeded"), _steps("failed"), _steps("cancelled")
_RUNNING, _QUEUED = _steps("running"), _steps("queued")

PRESENT_SQL = """
SELECT count(*) FROM generate_series(%s::bigint, %s::bigint) AS i
WHERE EXISTS (SELECT FROM videos v WHERE v.video_id = md5('scale-video-' || i)::uuid)
"""

# One row per missing video of the batch: its draws, what it is and when
# things happened to it. The shares below give, per video, about 4 tasks,
# 2.3 artifacts, 0.5 safety reports (10% of them for a human) and 0.3
# publish receipts (see tests/contentops/test_seed_scale.py).
PLAN_SQL = f"""
CREATE TEMPORARY TABLE scale_plan ON COMMIT DROP AS
WITH numbered AS MATERIALIZED (
    SELECT i, md5('scale-video-' || i)::uuid AS video_id,
           {_hash("'scale-a-' || i")} AS a, {_hash("'scale-b-' || i")} AS b,
           {_hash("'scale-c-' || i")} AS c, {_hash("'scale-d-' || i")} AS d
    FROM generate_series(%s::bigint, %s::bigint) AS i
    WHERE NOT EXISTS (SELECT FROM videos v WHERE v.video_id = md5('scale-video-' || i)::uuid)
), drawn AS MATERIALIZED (
    SELECT i, video_id,
        {_u("a", 0)} AS u_age, {_u("a", 1)} AS u_report, {_u("a", 2)} AS u_verdict,
        {_u("a", 3)} AS u_fate, {_u("a", 4)} AS u_steps, {_u("a", 5)} AS u_wait1,
        {_u("a", 6)} AS u_wait2, {_u("a", 7)} AS u_persona,
        {_u("b", 0)} AS u_template, {_u("b", 1)} AS u_subject, {_u("b", 2)} AS u_subject2,
        {_u("b", 3)} AS u_number, {_u("b", 4)} AS u_place, {_u("b", 5)} AS u_rare,
        {_u("b", 6)} AS u_episode, {_u("b", 7)} AS u_actor,
        {_u("c", 0)} AS u_channel, {_u("c", 1)} AS u_receipts, {_u("c", 2)} AS u_receipt2,
        {_u("c", 3)} AS u_issues, {_u("c", 4)} AS u_score, {_u("c", 5)} AS u_schedule,
        {_u("c", 6)} AS u_reason, {_u("c", 7)} AS u_running,
        {_u("d", 0)} AS u_qualifier, {_u("d", 1)} AS u_qualifier_pick,
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
        {_persona_no("u_persona")} AS persona_no
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
            WHEN report <> 'none' THEN {_SUCCEEDED}
            WHEN status = 'draft' THEN
                CASE WHEN u_steps < 0.5 THEN '{{}}'::text[] ELSE {_QUEUED}[1:1] END
            WHEN status = 'producing' THEN
                {_SUCCEEDED}[1:floor(u_steps * 5)::int]
                || (CASE WHEN u_running < 0.7 THEN {_RUNNING} ELSE {_QUEUED} END)
                   [1 + floor(u_steps * 5)::int:1 + floor(u_steps * 5)::int]
            WHEN status = 'failed' THEN
                {_SUCCEEDED}[1:fail_at - 1] || {_FAILED}[fail_at:fail_at]
                || {_CANCELLED}[fail_at + 1:4]
            -- Abandoned before the safety check.
            WHEN u_steps < 0.3 THEN {_SUCCEEDED}[1:1] || {_CANCELLED}[2:2]
            WHEN u_steps < 0.6 THEN {_SUCCEEDED}[1:1]
            ELSE {_CANCELLED}[1:1]
        END AS steps,
        CASE WHEN issue_count = 0 THEN round((u_score * 0.08)::numeric, 2)
             WHEN report = 'auto' THEN round((0.05 + u_score * 0.3)::numeric, 2)
             ELSE round((0.4 + u_score * 0.6)::numeric, 2) END::float8 AS score,
        {_step_end("5")} AS checked_at
    FROM placed p
    -- Where a failed video's pipeline broke: early steps fail most.
    CROSS JOIN LATERAL (SELECT CASE WHEN u_steps < 0.35 THEN 1 WHEN u_steps < 0.75 THEN 2
                                    WHEN u_steps < 0.9 THEN 3 WHEN u_steps < 0.95 THEN 4
                                    ELSE 5 END AS fail_at) f
), decided AS MATERIALIZED (
    SELECT s.*,
        CASE WHEN verdict IS NOT NULL THEN
            {_after("checked_at", "interval '10 minutes' + u_wait1 * interval '2 days'")}
        END AS decided_at
    FROM stepped s CROSS JOIN scale_run r
), approved AS MATERIALIZED (
    SELECT d.*,
        CASE WHEN status IN ('approved', 'published') THEN
            {
    _after("COALESCE(decided_at, checked_at)", "interval '1 hour' + u_wait2 * interval '3 days'")
}
        END AS approved_at
    FROM decided d CROSS JOIN scale_run r
), titled AS MATERIALIZED (
    SELECT a.*,
        format({_pick("r.templates", "power(u_template, 1.6)")},
               r.subjects[niche * r.per_niche + 1 + floor(u_subject * r.per_niche)::int],
               r.subjects[niche * r.per_niche + 1
                          + mod(floor(u_subject * r.per_niche)::int + 1
                                + floor(u_subject2 * (r.per_niche - 1))::int, r.per_niche)],
               {_pick("r.numbers", "u_number")},
               extract(year FROM created_at)::int,
               {_pick("r.places", "u_place * u_place")})
        || CASE WHEN u_qualifier < 0.35 THEN ' ' || {_pick("r.qualifiers", "u_qualifier_pick")}
                ELSE '' END
        || CASE WHEN u_rare < 0.06 THEN
                    ' (' || {_pick("r.rare_words", "power(u_rare / 0.06, 3)")} || ')'
                WHEN u_rare < 0.08 THEN ' — ep. ' || (1 + floor(u_episode * 9999))::int
                ELSE '' END AS raw_title,
        CASE WHEN status = 'published' THEN
            {_after("approved_at", "interval '2 minutes' + u_wait1 * interval '20 minutes'")}
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
        'voice', {_pick("r.voices", _u("h", 0))},
        'pace', {_pick("r.paces", _u("h", 1))},
        'register', {_pick("r.registers", _u("h", 2))},
        'humour', round({_u("h", 3)}::numeric, 1),
        'niche', r.niches[1 + mod(n, cardinality(r.niches))],
        'audience', r.audiences[1 + mod(n, cardinality(r.niches))],
        'language', {_pick("r.languages", _u("h", 4))},
        'tts', jsonb_build_object(
            'engine', 'neural-v2',
            'voice_id', 'voice-' || lpad(n::text, 4, '0'),
            'speaking_rate', round((0.85 + {_u("h", 5)} * 0.35)::numeric, 2))),
    r.anchor - interval '366 days' - {_u("h", 6)} * interval '60 days'
FROM (
    -- The personas videos 1..N are made by (the plan's persona_no).
    SELECT DISTINCT {_persona_no(_u("a", 7))} AS n
    FROM generate_series(1, %s::bigint) AS i
    CROSS JOIN LATERAL (SELECT {_hash("'scale-a-' || i")} AS a) AS hashed
) AS wanted
CROSS JOIN scale_run r
CROSS JOIN LATERAL (SELECT {_hash("'scale-persona-' || n")} AS h) AS traits
ON CONFLICT (persona_id) DO NOTHING
"""

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
        {_step_start("k")} AS started_at,
        {_step_end("k")} AS finished_at,
        CASE WHEN status = 'succeeded' AND type IN {_MEDIA} THEN
            md5('scale-artifact-' || i || '-' || type)::uuid END AS artifact_id
    FROM unnested u
)
SELECT t.*,
    's3://' || r.bucket || '/videos/' || video_id || '/' || type || '/' || artifact_id || '.'
        || CASE type {" ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _EXTENSIONS.items())} END
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
                {_iso("started_at")} END,
            'finished_at', CASE WHEN status IN ('succeeded', 'failed') THEN
                {_iso("finished_at")} END,
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
                            CASE WHEN {_u("h", 1)} < 0.8 THEN 'low' ELSE 'medium' END
                        ELSE CASE WHEN {_u("h", 1)} < 0.35 THEN 'medium'
                                  WHEN {_u("h", 1)} < 0.75 THEN 'high' ELSE 'critical' END
                        END,
            'message', r.messages[c],
            'evidence', CASE
                WHEN r.excerpts[c] <> '' THEN
                    jsonb_build_object('artifact', 'script', 'excerpt', r.excerpts[c])
                WHEN r.evidence[c] = 'thumbnail' THEN jsonb_build_object('artifact', 'thumbnail')
                ELSE jsonb_build_object(
                    'artifact', r.evidence[c],
                    'start', round(({_u("h", 2)} * 40)::numeric, 1),
                    'end', round(({_u("h", 2)} * 40 + 0.5 + {_u("h", 3)} * 5)::numeric, 1))
                END,
            -- Keys the pipeline adds: the admin keeps and shows them.
            'detector', CASE WHEN {_u("h", 4)} < 0.3 THEN {_pick("r.detectors", _u("h", 5))} END,
            'confidence', CASE WHEN {_u("h", 4)} < 0.3 THEN
                round((0.5 + {_u("h", 6)} * 0.5)::numeric, 2) END
        )) AS issue
        FROM generate_series(1, p.issue_count) AS k
        CROSS JOIN LATERAL (SELECT {_hash("'scale-issue-' || p.i || '-' || k")} AS h) AS hashed
        CROSS JOIN LATERAL (
            SELECT 1 + floor({_u("h", 0)} * cardinality(r.categories))::int AS c) AS picked
    ) AS issues),
    p.report = 'human', p.verdict, s.finished_at
FROM scale_plan p
JOIN scale_steps s ON s.i = p.i AND s.type = 'safety_check'
CROSS JOIN scale_run r
WHERE p.report <> 'none'
"""

# A decided report's log, as a moderator leaves it: a claim, then the decision.
REVIEW_ACTIONS_SQL = f"""
INSERT INTO safety_review_actions
    (report_id, actor_id, kind, reason_code, note, score_seen, video_version_seen, created_at)
SELECT md5('scale-report-' || p.i)::uuid,
    r.moderator_ids[1 + mod(p.i, cardinality(r.moderator_ids))],
    x.kind, x.reason_code, x.note, p.score, x.version, x.at
FROM scale_plan p CROSS JOIN scale_run r
CROSS JOIN LATERAL (VALUES
    ('claim', '', '', NULL::int, p.decided_at - (p.decided_at - p.checked_at) * 0.2),
    (CASE p.verdict WHEN 'approved' THEN 'approve' WHEN 'rejected' THEN 'reject'
                    ELSE 'escalate' END,
     CASE p.verdict WHEN 'approved' THEN {_pick("r.approve_reasons", "p.u_reason")}
                    WHEN 'rejected' THEN {_pick("r.reject_reasons", "p.u_reason")}
                    ELSE {_pick("r.escalate_reasons", "p.u_reason")} END,
     CASE p.verdict WHEN 'approved' THEN ''
                    WHEN 'rejected' THEN 'Breaks the policy on what the issues name; not fixable.'
                    ELSE 'Unsure how the policy applies here; a lead should decide.' END,
     2, p.decided_at)
) AS x(kind, reason_code, note, version, at)
WHERE p.verdict IS NOT NULL
"""

# Receipts of approved and published videos, each with the publish task an
# editor's approval made for it (publishing.approval.publish_payload's shape).
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
                     ELSE {_after("published_at", "interval '3 minutes'")} END
            WHEN 'failed' THEN {_after("approved_at", "interval '35 minutes'")}
            ELSE {_after("published_at", "u_schedule * interval '30 days'")}
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
            replace({_pick("r.publish_errors", "u_receipt2")}, '{{channel}}', channel)
        WHEN 'retracted' THEN
            'Retracted by ' || r.editor_names[1 + mod(i, cardinality(r.editor_ids))] || '.'
    END AS error
FROM timed t CROSS JOIN scale_run r
"""

PUBLISH_TASKS_SQL = f"""
INSERT INTO tasks (task_id, video_id, type, status, payload, state_version, created_at,
                   not_before, attempts, last_error)
SELECT c.task_id, c.video_id, 'publish',
    CASE c.status WHEN 'pending' THEN 'queued' WHEN 'failed' THEN 'failed' ELSE 'succeeded' END,
    jsonb_build_object(
        'channel', c.channel,
        'receipt_id', c.receipt_id::text,
        'not_before', {_iso("c.not_before")},
        'approved_by', jsonb_build_object('id', c.editor_id, 'username', c.editor_name),
        'approved_at', {_iso("c.approved_at")},
        'video_version', 3,
        'title', c.title,
        'persona_id', c.persona_id::text,
        'artifacts', files.artifacts),
    CASE c.status WHEN 'pending' THEN 0 WHEN 'failed' THEN 2 * r.max_attempts ELSE 2 END,
    c.approved_at, c.not_before,
    CASE c.status WHEN 'pending' THEN 0 WHEN 'failed' THEN r.max_attempts ELSE 1 END,
    CASE WHEN c.status = 'failed' THEN c.error END
FROM scale_receipts c CROSS JOIN scale_run r
JOIN (
    -- What an approval publishes: the render, thumbnail and script (approval.publish_set).
    SELECT i, jsonb_agg(jsonb_build_object(
                'id', artifact_id::text, 'kind', type, 's3_path', s3_path,
                'etag', md5('etag-' || artifact_id))
            ORDER BY array_position(ARRAY['render', 'thumbnail', 'script'], type)) AS artifacts
    FROM scale_steps
    WHERE type IN ('render', 'thumbnail', 'script') AND artifact_id IS NOT NULL
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

LOAD_STEPS = (
    ("plan", PLAN_SQL),
    ("videos", VIDEOS_SQL),
    ("steps", STEPS_SQL),
    ("tasks", TASKS_SQL),
    ("artifacts", ARTIFACTS_SQL),
    ("reports", REPORTS_SQL),
    ("review actions", REVIEW_ACTIONS_SQL),
    ("receipts plan", RECEIPTS_PLAN_SQL),
    ("publish tasks", PUBLISH_TASKS_SQL),
    ("receipts", RECEIPTS_SQL),
)

# Inside a test's transaction ON COMMIT DROP comes too late for the next batch.
DROP_BATCH_TABLES = "DROP TABLE IF EXISTS scale_plan, scale_steps, scale_receipts"
