"""Django's database sessions, read with one plain statement.

Every request with a session cookie reads its session: through the ORM that
is a `get()` built and compiled each time (about 0.4 ms of CPU, as much as
the read itself), for a statement that never changes. Here it is written
once. The row, its expiry test and the database asked (the router's choice,
the primary for sessions) are Django's; so sign-out everywhere, expiry and
the session limits (accounts/sessions.py) see the same rows at the same moment.
It is prepared once per connection (core.prepared).
"""

from types import SimpleNamespace

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from core import prepared


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        using = router.db_for_read(self.model)
        table = connections[using].ops.quote_name(self.model._meta.db_table)
        row = prepared.fetch_one(
            using,
            f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
            [self.session_key, timezone.now()],
        )
        if row is None:
            self._session_key = None
            return None
        return SimpleNamespace(session_data=row[0])
