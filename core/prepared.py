"""Reads every request makes, prepared once per database connection.

Django binds parameters in Python and sends each statement as text, so
Postgres parses and plans it on every run. For the statements every admin
request runs (its session, its user with their permissions) planning is most
of the server's work: 0.5 of the user read's 0.7 ms of Postgres CPU. A read
made here goes through a psycopg cursor that binds on the server, and psycopg
prepares the statement on its first run on a connection; later runs skip the
parse and the plan. They are protocol-level prepared statements, which
PgBouncer (1.21 and later, `max_prepared_statements`) keeps in transaction mode;
DATABASE_PREPARED_READS=0 turns preparing off for a pooler that cannot.

Only single SELECTs with `%s` placeholders and parameters of their column's
type (the server compares `integer = text` as an error, not a cast). Name the
columns: a prepared `SELECT *` fails once a migration adds one.
"""

import psycopg
from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def fetch_one(using: str, sql: str, params: list) -> tuple | None:
    with _cursor(connections[using]) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _cursor(connection) -> CursorWrapper:
    # What connection.cursor() does (health check, connect, the wrappers that
    # time and count queries), with a server-binding cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    # Django turns psycopg's preparing off (None); the cursors made here are
    # the app's only server-binding ones, so this prepares their statements
    # alone, each at its first run.
    raw.prepare_threshold = 0 if settings.DATABASE_PREPARED_READS else None
    with connection.wrap_database_errors:
        # As psycopg's connection.cursor() does: a closed connection (the
        # server went away) is an OperationalError here, which the 503 page
        # recognises, not a failure later inside the statement.
        if raw.closed:
            raise psycopg.OperationalError("the connection is closed")
        cursor = psycopg.Cursor(raw)
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    return wrapper(cursor, connection)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log (DEBUG, the tests' query counts) with each statement
    and its values merged, as for every other query: Django reads back the
    text psycopg sent, and a prepared run sends only the statement's name."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)
