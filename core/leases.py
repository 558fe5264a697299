"""Rows under a lease (a claim that runs out): the review queue's reports and
QA's samples both carry `claimed_by` and `claim_expires_at`, ask the same
three questions of themselves, and are handed out by one statement
(`claim_next`)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections, models, transaction


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
    user; `kind` takes "claim" or "release". `constants` are the other fields
    every entry gets; `copied` maps a log field to the leased row's field whose
    value it records (as the row is when the entry is written).
    """

    model: type[models.Model]
    row: str
    actor: str = "actor"
    kind: str = "kind"
    constants: dict = field(default_factory=dict)
    copied: dict = field(default_factory=dict)


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


def claim_next(
    *, candidates: models.QuerySet, holder, skip, now: datetime, until: datetime, log: LeaseLog
):
    """Hand `holder` the first row of `candidates` (ordered, `skip` already
    excluded) they hold, else the first nobody holds, leased until `until`;
    `skip`, when they hold it, goes back to the queue. Returns the row as
    leased, or None when nothing is free.

    Raises ValidationError when `skip` cannot be a key of the model.
    """
    model = candidates.model
    meta = model._meta
    skip = None if skip is None else meta.pk.to_python(skip)
    with transaction.atomic(using=candidates.db):
        # Compiled inside the transaction: Django refuses FOR UPDATE outside one.
        sql, params = _statement(candidates, holder=holder, now=now, until=until, log=log)
        release = [meta.pk.get_db_prep_value(skip, connections[candidates.db]), holder.pk]
        params = [*release, *_log_params(log, holder, "release"), *params]
        params += [holder.pk, until, *_log_params(log, holder, "claim")]
        claimed = list(model._base_manager.db_manager(candidates.db).raw(sql, params))
    return claimed[0] if claimed else None


def _statement(candidates, *, holder, now, until, log) -> tuple[str, list]:
    """The statement and the parameters of its candidate subqueries."""
    meta = candidates.model._meta
    quote = connections[candidates.db].ops.quote_name
    column = lambda name: quote(meta.get_field(name).column)  # noqa: E731
    held = candidates.filter(claimed_by=holder, claim_expires_at__gt=now)
    # Nobody holds it: never claimed, or the lease ran out.
    free = candidates.filter(
        models.Q(claimed_by__isnull=True) | models.Q(claim_expires_at__lte=now)
    )
    held_sql, held_params = _first_locked(held)
    free_sql, free_params = _first_locked(free)
    log_meta = log.model._meta
    log_columns = [log.row, log.actor, log.kind, *log.constants, *log.copied]
    sql = CLAIM_NEXT.format(
        table=quote(meta.db_table),
        pk=quote(meta.pk.column),
        holder=column("claimed_by"),
        expires=column("claim_expires_at"),
        row_copied="".join(f", {column(name)}" for name in log.copied.values()),
        held=held_sql,
        free=free_sql,
        returned=", ".join(f"leased.{quote(f.column)}" for f in meta.concrete_fields),
        log_table=quote(log_meta.db_table),
        log_columns=", ".join(quote(log_meta.get_field(name).column) for name in log_columns),
        log_values=", ".join(
            ["%s", "%s"]
            + ["%s"] * len(log.constants)
            + [column(name) for name in log.copied.values()]
        ),
    )
    return sql, [*held_params, *free_params]


def _first_locked(queryset) -> tuple[str, tuple]:
    first = queryset.select_for_update(skip_locked=True, of=("self",)).values("pk")[:1]
    return first.query.sql_with_params()


def _log_params(log: LeaseLog, holder, kind: str) -> list:
    """An entry's actor, kind and constants, in the order of its columns."""
    connection = connections[log.model.objects.db]
    meta = log.model._meta
    values = [
        meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in log.constants.items()
    ]
    return [holder.pk, kind, *values]
