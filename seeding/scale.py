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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import pgtrigger
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from contentops.pipeline import PIPELINE_MODELS
from insights import rollups
from insights.models import TaskCounts
from seeding import scale_vocabulary as words
from seeding.batches import load_in_parallel
from seeding.scale_history import HistoryLoad, load_history
from seeding.scale_niches import NICHES
from seeding.scale_plan import PERSONAS_SQL, PRESENT_SQL
from seeding.scale_rows import DROP_BATCH_TABLES, LOAD_STEPS

DEFAULT_BATCH_SIZE = 25_000
# Any constant works; it only has to be the same in every seed_scale process.
_ADVISORY_LOCK = 0x5EED_5CA1E

# Who decided the seeded reports and approved the seeded publishes. They
# cannot log in (inactive, no usable password); they exist to be named.
MODERATORS = tuple(f"scale-moderator-{n}" for n in range(1, 7))
EDITORS = tuple(f"scale-editor-{n}" for n in range(1, 4))

# pghistory's insert triggers: `<app>.<Model>:insert_insert`.
INSERT_EVENT_TRIGGERS = tuple(f"{model._meta.label}:insert_insert" for model in PIPELINE_MODELS)
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
    history: HistoryLoad | None = None  # None: not asked for

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
    history: bool = True,
    history_progress: Callable[[int], None] | None = None,
) -> ScaleSeed:
    """Make sure videos 1..`videos` and everything they hold are loaded.

    `jobs` batches load at once, each on its own connection (so with jobs > 1
    the batches commit outside any transaction the caller holds).
    `check_foreign_keys` False skips the foreign key checks with the history
    triggers (session_replication_role = replica: a superuser's, or a role
    granted SET on it); None does so when the role may. `progress(n)` is
    called after each batch with the number of videos it covered (loaded, or
    found there already). `history` gives the rows their events afterwards
    (`scale_history`), telling `history_progress` as `progress`.
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
        if todo or not rollups_present():
            # The load skipped the rollups' triggers (replica mode) or counted
            # batch by batch: recount once, from the loaded tables.
            with _timer(result.timings, "rollups"):
                rollups.rebuild()
        if history:
            result.history = load_history(
                batches=list(batches(videos, batch_size)),
                editor_ids=[editor.pk for editor in editors],
                jobs=jobs,
                progress=history_progress,
            )
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
    def load(first, last):
        return _load_on_own_connection(run, first, last)

    load_in_parallel(
        todo, load, jobs=jobs, name="seed_scale", record=result.record, progress=progress
    )


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


def rollups_present() -> bool:
    return TaskCounts.objects.exists()


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
    subjects = [subject for _, _, niche in NICHES for subject in niche]
    per_niche = {len(niche) for _, _, niche in NICHES}
    if len(per_niche) != 1:
        raise ScaleSeedError("Every niche in scale_niches.NICHES needs as many subjects.")
    return {
        "anchor": anchor,
        "bucket": settings.S3_BUCKET,
        "channels": channel_names(),
        "max_attempts": settings.PUBLISH_MAX_ATTEMPTS,
        "moderator_ids": [user.pk for user in moderators],
        "editor_ids": [user.pk for user in editors],
        "editor_names": [user.username for user in editors],
        "niches": [name for name, _, _ in NICHES],
        "audiences": [audience for _, audience, _ in NICHES],
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
