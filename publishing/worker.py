"""The publish worker: claims due publish tasks and publishes them, in a loop.

Run any number of workers on any number of machines (`manage.py
publish_worker`): they share the work through the database, each claim a short
transaction with SKIP LOCKED and a lease, so they never wait for one another
and never take the same task. While a channel works, a thread renews the
lease; a worker that dies stops renewing, and once its lease runs out another
worker takes the task again, with the same idempotency key. `stop()` (SIGTERM,
SIGINT) lets the task in hand finish, then returns.
"""

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from publishing import services

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews a worker's lease on one task, from a thread, while the block runs."""

    def __init__(self, task_id, worker: str):
        self.task_id = task_id
        self.worker = worker
        self.interval = max(settings.PUBLISH_LEASE_SECONDS / 3, 0.2)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._done.set()
        self._thread.join()

    def _renew(self) -> None:
        try:
            while not self._done.wait(self.interval):
                if not services.renew_lease(task_id=self.task_id, worker=self.worker):
                    log.warning("Lost the lease on task %s", self.task_id)
                    return
        except DatabaseError:
            log.exception("Could not renew the lease on task %s", self.task_id)
        finally:
            connection.close()  # this thread's own connection


class Worker:
    def __init__(self, *, name: str | None = None, poll: float | None = None):
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.poll = settings.PUBLISH_POLL_SECONDS if poll is None else poll
        self._stopping = threading.Event()
        self._last_sweep = 0.0

    def stop(self, *_signal) -> None:
        self._stopping.set()

    def run(self, *, once: bool = False) -> int:
        """Publish due tasks until stopped; with `once`, until none is due.
        Returns how many tasks it handled."""
        handled = 0
        log.info("Publish worker %s started", self.name)
        while not self._stopping.is_set():
            close_old_connections()
            try:
                self._sweep()
                task = next(iter(services.claim_due(worker=self.name, limit=1)), None)
                if task is not None:
                    self._publish(task)
                    handled += 1
                    continue
            except DatabaseError:
                log.exception("The database failed; trying again in %s s", self.poll)
                connection.close()
            if once:
                break
            self._stopping.wait(self.poll)
        log.info("Publish worker %s stopped after %s tasks", self.name, handled)
        return handled

    def _publish(self, task) -> None:
        with LeaseKeeper(task.pk, self.name):
            outcome = services.publish_task(task_id=task.pk, worker=self.name)
        log.info("Task %s: %s", task.pk, outcome)

    def _sweep(self) -> None:
        """Now and then: void approvals whose video changed, and fail receipts
        whose task was cancelled elsewhere."""
        if time.monotonic() - self._last_sweep < self.poll:
            return
        self._last_sweep = time.monotonic()
        services.void_changed_approvals()
        services.reconcile_receipts()
        services.lapse_changed_clearances()
