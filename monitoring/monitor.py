"""The monitor: checks the conditions and notifies, in a loop of its own.

It runs apart from the publish workers (`manage.py monitor`) because one of
the things it watches for is that no worker is running. Nothing stops the
loop: a condition that raises is logged and the others are still checked
(its incidents stay as they were: unknown is not cleared), a notification
that fails is recorded and tried again, a database that is down is waited
for. `stop()` (SIGTERM, SIGINT) ends it after the check in hand.
"""

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from monitoring import incidents, notifications
from monitoring.conditions import CONDITIONS

log = logging.getLogger(__name__)


class Monitor:
    def __init__(self, *, interval: float | None = None, conditions=None):
        self.interval = settings.MONITOR_INTERVAL_SECONDS if interval is None else interval
        self.conditions = CONDITIONS if conditions is None else conditions
        self._stopping = threading.Event()

    def stop(self, *_signal) -> None:
        self._stopping.set()

    def run(self, *, once: bool = False) -> int:
        """Check and notify every `interval` until stopped (with `once`, one
        round). Returns how many rounds ran."""
        rounds = 0
        log.info("Monitor started")
        while not self._stopping.is_set():
            # A long-lived process: drop a connection the database closed meanwhile.
            close_old_connections()
            self.check_once()
            rounds += 1
            if once:
                break
            self._stopping.wait(self.interval)
        log.info("Monitor stopped after %s rounds", rounds)
        return rounds

    def check_once(self) -> None:
        """Check every condition, then send the notifications that are due."""
        now = timezone.now()
        for kind, condition in self.conditions.items():
            self._isolated(f"condition {kind}", self._check, kind, condition, now)
        self._isolated("notifications", notifications.send_due, now=now)

    @staticmethod
    def _check(kind, condition, now) -> None:
        opened, resolved = incidents.record(kind=kind, holding=condition(now), now=now)
        if opened or resolved:
            log.info("%s: %s opened, %s resolved", kind, opened, resolved)

    @staticmethod
    def _isolated(what: str, step, *args, **kwargs) -> None:
        try:
            step(*args, **kwargs)
        except DatabaseError:
            log.exception("Monitor, %s: the database failed", what)
            _close_quietly()
        except Exception:  # noqa: BLE001 - one check must not stop the others
            log.exception("Monitor, %s failed", what)


def _close_quietly() -> None:
    """Drop the connection (it may be broken): the next query opens a new one."""
    try:
        connection.close()
    except DatabaseError:
        pass
