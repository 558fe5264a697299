"""Retention of history: pghistory events older than HISTORY_RETENTION_DAYS
are deleted, a small batch at a time, with the request contexts no event
names any more.

Only the event tables named in EVENT_MODELS are pruned. The review log (safety
review actions, QA actions, the decision and QA logs' sources), clearance
lapses, two-factor events, unlocks, incidents and every other append-only
record are kept whatever the setting says: they are not history of a row but
the record of what people decided.

Each batch is its own short transaction that deletes at most
HISTORY_PRUNE_BATCH events, oldest first, found through the events' index on
pgh_created_at (never a scan of the table); events another connection has
locked are skipped, not waited for. Writers to the same tables never wait on
a prune for longer than one batch. The project owns this (not an app)
because the list names every app's event model.
"""

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contentops.pipeline import PIPELINE_MODELS

log = logging.getLogger(__name__)

# The event tables retention prunes, one by one: nothing else is ever pruned.
EVENT_MODELS = tuple(model.pgh_event_model for model in PIPELINE_MODELS)
CONTEXT_TABLE = "pghistory_context"


@dataclass
class Pruned:
    """What a prune deleted (or, dry, would delete)."""

    before: datetime | None  # events older than this; None: retention is off
    events: dict[str, int] = field(default_factory=dict)  # per event table
    contexts: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.events.values())


def retention_off_reason() -> str | None:
    """Why nothing is pruned, or None when history expires."""
    if settings.HISTORY_RETENTION_DAYS == 0:
        return "History is kept forever (HISTORY_RETENTION_DAYS=0): nothing to prune."
    return None


def cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.HISTORY_RETENTION_DAYS)


def prune_history(
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    now: datetime | None = None,
) -> Pruned:
    """Delete the events older than the retention, table by table, in batches
    of `batch_size` (HISTORY_PRUNE_BATCH) until none is left or `max_batches`
    batches per table ran. `progress(table, events, contexts)` is told of each
    batch after it committed. `dry_run` counts what would go and deletes nothing."""
    if retention_off_reason():
        return Pruned(before=None)
    result = Pruned(before=cutoff(now))
    size = batch_size or settings.HISTORY_PRUNE_BATCH
    for model in EVENT_MODELS:
        table = model._meta.db_table
        result.events[table] = 0
        if dry_run:
            result.events[table] = count_expired(table=table, before=result.before)
            continue
        batches = 0
        while max_batches is None or batches < max_batches:
            events, contexts = prune_batch(table=table, before=result.before, size=size)
            batches += 1
            result.batches += 1
            result.events[table] += events
            result.contexts += contexts
            if progress:
                progress(table, events, contexts)
            if events < size:
                break
    return result


def count_expired(*, table: str, before: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE pgh_created_at < %s", [before])
        return cursor.fetchone()[0]


def prune_batch(*, table: str, before: datetime, size: int) -> tuple[int, int]:
    """One batch, one transaction: up to `size` of the oldest events of `table`
    older than `before`, and the contexts they leave without any event.
    Returns (events deleted, contexts deleted)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH expired AS (
                SELECT pgh_id FROM {table} WHERE pgh_created_at < %s
                ORDER BY pgh_created_at LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            DELETE FROM {table} AS e USING expired
            WHERE e.pgh_id = expired.pgh_id
            RETURNING e.pgh_context_id
            """,
            [before, size],
        )
        rows = cursor.fetchall()
        contexts = list({context for (context,) in rows if context is not None})
        return len(rows), _delete_orphaned_contexts(cursor, contexts)


def _delete_orphaned_contexts(cursor, contexts: list) -> int:
    """Of these contexts, delete those no event names any more (one request's
    context is shared by the events of every table it wrote)."""
    if not contexts:
        return 0
    unused = " AND ".join(
        f"NOT EXISTS (SELECT FROM {model._meta.db_table} e WHERE e.pgh_context_id = c.id)"
        for model in EVENT_MODELS
    )
    cursor.execute(
        f"DELETE FROM {CONTEXT_TABLE} AS c WHERE c.id = ANY(%s::uuid[]) AND {unused}", [contexts]
    )
    return cursor.rowcount


# The tables the sweep takes its turns on, round and round.
_SWEEP_TURNS = itertools.cycle(EVENT_MODELS)


def prune_history_step() -> None:
    """The publish worker's sweep step: one batch at most, from the next table
    (in turn) that holds expired events, so a sweep never delays publishing by
    more than one short batch and history shrinks over many sweeps."""
    if retention_off_reason():
        return
    before = cutoff()
    for _ in EVENT_MODELS:
        table = next(_SWEEP_TURNS)._meta.db_table
        events, contexts = prune_batch(
            table=table, before=before, size=settings.HISTORY_PRUNE_BATCH
        )
        if events:
            log.info("Pruned %s events of %s and %s contexts", events, table, contexts)
            return
