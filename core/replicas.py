"""Reads on a streaming replica, only where a page allows them.

With `DATABASE_REPLICA_URL` set, settings add the database alias `replica`
and `ReplicaRouter`. Reads go there only inside `replica_reads()`, a scope a
middleware opens for the pages that tolerate a little lag; everything else
(every write, `select_for_update`, anything inside a transaction, the models
of apps not in `REPLICA_APPS`: sign-in, sessions, lockouts, second factor)
stays on the primary. The scope opens only while the replica answers and
lags less than `DATABASE_REPLICA_MAX_LAG_SECONDS`, asked at most once per
`LAG_CHECK_SECONDS` per process (`UNREACHABLE_RECHECK_SECONDS` once it did
not answer), so a replica that is down or behind costs a page nothing but
its primary reads. One that fails in the middle of a page is set aside
(`set_aside`), and the page is read again from the primary.
"""

import contextvars
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
# Apps whose rows a lagging read may show; auth, sessions, axes and otp are
# left out on purpose (a sign-in must see the password it was just given).
REPLICA_APPS = frozenset(
    {"personas", "videos", "safety", "publishing", "insights", "monitoring", "pghistory"}
)
# How long one answer about the replica's health is trusted, per process.
LAG_CHECK_SECONDS = 1.0
# A replica that does not answer costs a request its connect timeout: ask
# again less often.
UNREACHABLE_RECHECK_SECONDS = 10.0
# Caught up when nothing received waits for replay; else the age of the last
# transaction replayed (it grows while replay stalls behind a write).
LAG_SQL = """
    SELECT CASE
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9)
    END
"""

_allowed = contextvars.ContextVar("replica_reads_allowed", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Let reads in this block go to the replica (when it is healthy)."""
    token = allow_replica_reads()
    try:
        yield
    finally:
        end_replica_reads(token)


def allow_replica_reads() -> contextvars.Token:
    """Open the scope (for a middleware, whose start and end are two calls)."""
    return _allowed.set(configured() and replica_healthy())


def end_replica_reads(token: contextvars.Token) -> None:
    _allowed.reset(token)


def failed_in_this_request() -> bool:
    """Whether a query on the replica raised since this request began (Django
    notes it on the connection, and forgets it as the next request starts)."""
    return configured() and connections[REPLICA].errors_occurred


def set_aside() -> None:
    """The replica failed mid-request: the rest of this scope reads the
    primary, its connection is dropped, and the next request asks about its
    health afresh (a replica that is down is then left alone for a while)."""
    _allowed.set(False)
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass
    _Health.healthy = False
    _Health.next_check = time.monotonic()


def reads_allowed() -> bool:
    # A transaction must see its own writes and hold its snapshot: primary.
    return _allowed.get() and not connections["default"].in_atomic_block


class _Health:
    """The replica's last known health, per process (lock-free: a race only
    asks the replica twice)."""

    next_check = float("-inf")
    healthy = False


def replica_healthy() -> bool:
    now = time.monotonic()
    if now >= _Health.next_check:
        lag = replica_lag_seconds()
        _Health.healthy = lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        wait = UNREACHABLE_RECHECK_SECONDS if lag == float("inf") else LAG_CHECK_SECONDS
        _Health.next_check = now + wait
    return _Health.healthy


def replica_lag_seconds() -> float:
    """Seconds the replica is behind; infinity when it does not answer."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0])
    except DatabaseError:
        # Closed, so the next check connects afresh instead of reusing a dead socket.
        connections[REPLICA].close()
        return float("inf")


class ReplicaRouter:
    """Reads of `REPLICA_APPS` models on the replica inside `replica_reads()`;
    writes, and every read outside it, on the primary; no migrations there."""

    def db_for_read(self, model, **hints):
        if reads_allowed() and model._meta.app_label in REPLICA_APPS:
            return REPLICA
        # Named, not None: Django would follow a replica-read instance's own database.
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # One database, two servers: rows from either relate.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db != REPLICA
