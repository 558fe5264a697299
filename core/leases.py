"""Rows under a lease (a claim that runs out): the review queue's reports and
QA's samples both carry `claimed_by` and `claim_expires_at`, ask the same
three questions of themselves, and are handed out by one statement
(`claim_next`)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connections, models, router, transaction


class LeasedRow:
    """A model mixin for rows with `claimed_by` and `claim_expires_at`."""

    def claim_is_live(self, now) -> bool:
        """Someone holds the row: claimed, and the lease not yet run out."""
        return (
            self.claimed_by_id is not None
            and self.claim_expires_at is not None
            and self.claim_expires_at > now
        )

    def held_by(self, user, now) -> bool:
        return self.claim_is_live(now) and self.claimed_by_id == user.pk

    def held_by_other(self, user, now) -> bool:
        return self.claim_is_live(now) and self.claimed_by_id != user.pk


@dataclass(frozen=True)
class LeaseLog:
    """How a queue writes its claims and releases to its append-only log.

    `row` is the log's foreign key to the leased row, `actor` the one to the
    user; `kind` takes "claim" or "release", `stamp` the time of the call.
    `constants` are (field, value) pairs every entry gets; `copied` pairs a
    log field with the leased row's field whose value it records (as the row
    is when the entry is written).
    """

    model: type[models.Model]
    row: str
    actor: str = "actor"
    kind: str = "kind"
    stamp: str = "created_at"
    constants: tuple = ()
    copied: tuple = ()


# One statement, so a press costs one round trip and holds its row locks for
# no longer than the statement: pass back `skip` (if the holder has it), then
# lock the holder's own live claim, else the first free candidate (SKIP
# LOCKED: concurrent holders each lock a different row and none waits), set
# the lease, and log the release and a new claim (a renewed one is not logged).
CLAIM_NEXT = """
WITH released AS (
    UPDATE {table} SET {holder} = NULL, {expires} = NULL
    WHERE {pk} = %s AND {holder} = %s
    RETURNING {pk} AS lease_id{row_copied}
), released_log AS (
    INSERT INTO {log_table} ({log_columns})
    SELECT lease_id, {log_values} FROM released
), held (lease_id) AS (
    {held}
), free (lease_id) AS (
    {free}
), picked AS (
    SELECT lease_id, FALSE AS fresh FROM held
    UNION ALL
    SELECT lease_id, TRUE FROM free WHERE NOT EXISTS (SELECT FROM held)
    LIMIT 1
), claimed AS (
    UPDATE {table} AS leased SET {holder} = %s, {expires} = %s
    FROM picked WHERE leased.{pk} = picked.lease_id
    RETURNING {returned}, picked.fresh
), claim_log AS (
    INSERT INTO {log_table} ({log_columns})
    SELECT {pk}, {log_values} FROM claimed WHERE fresh
)
SELECT * FROM claimed
"""


# Compiling the candidates' two subqueries took more CPU than anything else in
# a press (2.3 ms). Their SQL depends only on the queue and on whether a row is
# skipped, so each shape is compiled once per process with stand-in values,
# which every call swaps for its own (values no queue's filter holds).
STAND_IN_HOLDER = 2_147_483_001
STAND_IN_NOW = datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=UTC)
STAND_IN_SKIP = {int: 2_147_483_002, uuid.UUID: uuid.UUID("5afe1ea5-0000-4000-8000-00000000c1a1")}
_compiled: dict[tuple, tuple[str, list]] = {}


def claim_next(*, candidates, holder, skip, now: datetime, until: datetime, log: LeaseLog):
    """Hand `holder` the first row of `candidates(holder, skip)` (the queue as
    `holder` sees it, ordered, `skip` excluded) they hold, else the first
    nobody holds, leased until `until`; `skip`, when they hold it, goes back
    to the queue. Returns the row as leased, or None when nothing is free.

    `candidates` must be a module-level function: its SQL is compiled once.
    Raises ValidationError when `skip` cannot be a key of the model.
    """
    model = log.model._meta.get_field(log.row).related_model
    using = router.db_for_write(model)  # a claim writes: never a replica
    skip = None if skip is None else model._meta.pk.to_python(skip)
    sql, shape = _statement(candidates, log, model=model, using=using, skipping=skip is not None)
    stand_ins = {STAND_IN_HOLDER: holder.pk, STAND_IN_NOW: now, _skip_stand_in(model): skip}
    params = [
        skip,
        holder.pk,
        *_log_params(log, holder, "release", now, using),
        *(stand_ins.get(value, value) if _is_stand_in(value) else value for value in shape),
        holder.pk,
        until,
        *_log_params(log, holder, "claim", now, using),
    ]
    # One statement is atomic by itself: no transaction around it (two round
    # trips fewer).
    claimed = list(model._base_manager.db_manager(using).raw(sql, params))
    return claimed[0] if claimed else None


def _skip_stand_in(model):
    return STAND_IN_SKIP[uuid.UUID if isinstance(model._meta.pk, models.UUIDField) else int]


def _is_stand_in(value) -> bool:
    return type(value) in (int, datetime, uuid.UUID) and (
        value in (STAND_IN_HOLDER, STAND_IN_NOW) or value in STAND_IN_SKIP.values()
    )


def _statement(candidates, log: LeaseLog, *, model, using: str, skipping: bool):
    """The statement and its candidates' parameters (with stand-ins)."""
    key = (candidates, log, using, skipping)
    if key not in _compiled:
        # Django refuses to compile FOR UPDATE outside a transaction; compiling
        # sends nothing, so this one (no savepoint) costs no round trip.
        with transaction.atomic(using=using, savepoint=False):
            _compiled[key] = _compile(candidates, log, model=model, using=using, skipping=skipping)
    return _compiled[key]


def _compile(candidates, log: LeaseLog, *, model, using: str, skipping: bool):
    holder_field = log.model._meta.get_field(log.actor)
    queue = candidates(
        holder_field.related_model(pk=STAND_IN_HOLDER), _skip_stand_in(model) if skipping else None
    )
    meta = model._meta
    quote = connections[using].ops.quote_name
    column = lambda name: quote(meta.get_field(name).column)  # noqa: E731
    held = queue.filter(claimed_by=STAND_IN_HOLDER, claim_expires_at__gt=STAND_IN_NOW)
    # Nobody holds it: never claimed, or the lease ran out.
    free = queue.filter(
        models.Q(claimed_by__isnull=True) | models.Q(claim_expires_at__lte=STAND_IN_NOW)
    )
    held_sql, held_params = _first_locked(held, using)
    free_sql, free_params = _first_locked(free, using)
    log_meta = log.model._meta
    log_columns = [log.row, log.actor, log.kind, log.stamp]
    log_columns += [name for name, _ in (*log.constants, *log.copied)]
    sql = CLAIM_NEXT.format(
        table=quote(meta.db_table),
        pk=quote(meta.pk.column),
        holder=column("claimed_by"),
        expires=column("claim_expires_at"),
        row_copied="".join(f", {column(name)}" for _, name in log.copied),
        held=held_sql,
        free=free_sql,
        returned=", ".join(f"leased.{quote(f.column)}" for f in meta.concrete_fields),
        log_table=quote(log_meta.db_table),
        log_columns=", ".join(quote(log_meta.get_field(name).column) for name in log_columns),
        log_values=", ".join(
            ["%s"] * (3 + len(log.constants)) + [column(name) for _, name in log.copied]
        ),
    )
    return sql, [*held_params, *free_params]


def _first_locked(queryset, using: str) -> tuple[str, tuple]:
    first = queryset.select_for_update(skip_locked=True, of=("self",)).values("pk")[:1]
    return first.query.get_compiler(using).as_sql()


def _log_params(log: LeaseLog, holder, kind: str, now, using: str) -> list:
    """An entry's actor, kind, time and constants, in the order of its columns."""
    meta = log.model._meta
    values = [
        meta.get_field(name).get_db_prep_save(value, connections[using])
        for name, value in log.constants
    ]
    return [holder.pk, kind, now, *values]
