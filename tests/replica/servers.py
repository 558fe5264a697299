"""A database of its own on the test stack's primary, its streaming replica's
view of it, and the app served over both as processes.

`make test` (scripts/stack.sh test) starts the replica and exports
TEST_DATABASE_REPLICA_URL, server-level like DATABASE_URL. The rest of the
suite never sets DATABASE_REPLICA_URL: its tests write inside transactions
that a replica never sees. Here everything is committed: rows are made in the
app's own process (manage.py shell) or by plain SQL, as the pipeline does, and
pages are asked of a real server whose reads the router splits.
"""

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.faults.stack import App, Browser, private_folder, until


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class _Server:
    url: str


class _S3:
    """The test stack's S3, as the app processes need it."""

    def env(self) -> dict:
        names = ["S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"]
        return {name: os.environ[name] for name in names if name in os.environ}


class ReplicatedDatabase:
    """`contentops_replica_<random>` on the primary, migrated, with a superuser;
    dropped (on the replica too, by replay) when removed."""

    def __init__(self):
        replica = os.environ.get("TEST_DATABASE_REPLICA_URL", "")
        if not replica:
            pytest.fail(
                "tests/replica needs TEST_DATABASE_REPLICA_URL, a streaming replica of "
                "DATABASE_URL's server (make test starts one: scripts/stack.sh test)"
            )
        self.name = f"contentops_replica_{uuid.uuid4().hex[:12]}"
        self.primary_url = with_database(os.environ["DATABASE_URL"], self.name)
        self.replica_url = with_database(replica, self.name)
        self.folder = private_folder("replica")
        self.apps: list[App] = []
        with self._server(os.environ["DATABASE_URL"]) as server:
            server.execute(f'CREATE DATABASE "{self.name}"')
        self.app = self.app_with()
        self.app.manage("migrate", "--no-input")

    @staticmethod
    def _server(url: str) -> psycopg.Connection:
        return psycopg.connect(with_database(url, "postgres"), autocommit=True)

    def app_with(self, **settings: str) -> App:
        app = App(_Server(self.primary_url), _S3(), self.folder, **settings)
        self.apps.append(app)
        return app

    def serve(self, **settings: str) -> str:
        """A server reading through the replica (`settings` on top); its base URL."""
        return self.app_with(**{"DATABASE_REPLICA_URL": self.replica_url, **settings}).serve()

    def seed(self, call: str):
        """What `tests.replica.seed.<call>` printed, made in the app's process."""
        return json.loads(self.app.python(f"from tests.replica import seed; seed.{call}"))

    def primary(self, sql: str, *params) -> list[tuple]:
        """Rows of `sql` on the primary, from a client of its own (as the pipeline writes)."""
        with psycopg.connect(self.primary_url, autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def written_lsn(self) -> str:
        """Where the primary's WAL ends, every commit made so far included.

        The test stack commits asynchronously (synchronous_commit = off): a
        commit returns while its WAL still sits in the primary's buffers, and
        only WAL written out is sent to the replica (the WAL writer writes it
        within about 200 ms). pg_current_wal_lsn() alone stops before such
        commits. A synchronous commit writes everything before it, but only
        for a transaction that wrote WAL: a transactional message is such WAL.
        """
        with psycopg.connect(self.primary_url, autocommit=True) as connection:
            connection.execute("SET synchronous_commit = on")
            connection.execute("SELECT pg_logical_emit_message(true, 'contentops-tests', '')")
            return connection.execute("SELECT pg_current_wal_lsn()").fetchone()[0]

    def replica(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.replica_url, autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def caught_up(self) -> None:
        """Wait until the replica has replayed everything committed on the primary so far."""
        target = self.written_lsn()
        until(
            lambda: self.replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target)[0][0],
            timeout=60,
            what="the replica to replay the primary's writes",
        )

    @contextlib.contextmanager
    def replay_paused(self):
        """The replica stops applying what it receives: it shows the database as
        it was, while the primary moves on."""
        self.caught_up()
        self.replica("SELECT pg_wal_replay_pause()")
        until(
            lambda: self.replica("SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused",
            timeout=30,
            what="replay to pause",
        )
        try:
            yield
        finally:
            self.resume()

    def resume(self) -> None:
        self.replica("SELECT pg_wal_replay_resume()")

    def remove(self) -> None:
        for app in self.apps:
            app.stop_all()
        with contextlib.suppress(psycopg.Error):
            self.resume()
        with self._server(os.environ["DATABASE_URL"]) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


def signed_in(base: str) -> Browser:
    """The seed's superuser, signed in. Signing in writes (the session, the last
    login), so the browser reads from the primary until its cookie lapses."""
    return Browser(base).login("faults")


def forget_own_writes(browser: Browser) -> None:
    """As if DATABASE_REPLICA_STICKY_SECONDS had passed since this browser's
    last write: the cookie that kept it on the primary is gone."""
    for cookie in [c for c in browser.cookies if c.name == "contentops_primary_until"]:
        browser.cookies.clear(cookie.domain, cookie.path, cookie.name)
