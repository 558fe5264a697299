"""Wake-ups: the publish worker hears of due work the moment it is written.

A trigger on `tasks` (migration 0006_publish_wakeups) notifies the channel
`publish_tasks` when a publish task is queued or a queued one's time changes,
whoever writes it: the admin, another worker's retry, the pipeline's plain SQL.
A `Listener` LISTENs there on a connection of its own and rouses the worker on
each notification. Between them the worker sleeps at most until the earliest
queued task's `not_before` (`locks.next_due`), so a publish scheduled for
12:00:00 goes out at 12:00:00, with no notification at that moment.

Notifications are a shortcut, never the only way: one sent while the listener
was away is lost, so a listener that (re)connects rouses the worker to look
for itself, and the worker still polls every PUBLISH_POLL_SECONDS.
"""

import contextlib
import logging
import threading

from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

CHANNEL = "publish_tasks"  # the trigger's, in publishing/migrations/0006
# How often the listener looks up from its socket to see whether it should stop.
CHECK_SECONDS = 1.0
# The wait before connecting again after the connection failed or dropped.
RECONNECT_SECONDS = 1.0


class Listener:
    """LISTENs for due publish work from a thread while the block runs, and
    calls `rouse()` on each notification and after each (re)connection.

    Its connection is its own, never a pooled or a thread's Django one: a
    LISTEN lasts as long as the session. A dropped connection (a restart, a
    killed backend) is logged and made again, until the block ends.
    """

    def __init__(self, rouse, *, ready_within: float = 0):
        self.rouse = rouse
        self.ready_within = ready_within
        self.listening = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="publish-listener")

    def __enter__(self):
        """Starts listening; waits up to `ready_within` seconds for the first
        LISTEN, so a look at the queue after it misses nothing. A database that
        is down does not hold the caller up longer."""
        self._thread.start()
        self.listening.wait(timeout=self.ready_within)
        return self

    def __exit__(self, *exc_info):
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                self._listen()
            except Exception:  # noqa: BLE001 - any failure of the connection: make it again
                log.warning("Listening for publish work failed; reconnecting", exc_info=True)
            self.listening.clear()
            self._done.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        database = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            database.ensure_connection()  # autocommit: LISTEN takes effect at once
            session = database.connection
            session.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self.rouse()  # what was written while nobody listened went unheard
            while not self._done.is_set():
                for _notification in session.notifies(timeout=CHECK_SECONDS):
                    self.rouse()
        finally:
            with contextlib.suppress(Exception):  # a killed backend's connection
                database.close()
