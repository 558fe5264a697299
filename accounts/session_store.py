"""Django's database sessions, read with one plain statement.

Every request with a session cookie reads its session: through the ORM that
is a `get()` built and compiled each time (about 0.4 ms of CPU, as much as
the read itself), for a statement that never changes. Here it is written
once. The row, its expiry test and the database asked (the router's choice,
the primary for sessions) are Django's; so sign-out everywhere, expiry and
the session limits (accounts/sessions.py) see the same rows at the same moment.
"""

from types import SimpleNamespace

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return SimpleNamespace(session_data=row[0])
