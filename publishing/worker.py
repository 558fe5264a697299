"""The publish worker: claims due publish tasks and publishes them, in a loop.

Run any number of workers on any number of machines (`manage.py
publish_worker`): they share the work through the database, each claim a short
transaction with SKIP LOCKED and a lease, so they never wait for one another
and never take the same task. One worker keeps up to PUBLISH_CONCURRENCY
channel calls in flight, each task in a thread of its own with its own
connection (`Publishers`), and as many tasks again read and waiting for the
next free call, so a channel that takes a second per upload gets that many a
second. While a channel works, a thread renews the lease; a worker that dies
stops renewing, and once its lease runs out another worker takes the task
again, with the same idempotency key. `stop()` (SIGTERM, SIGINT) lets the
tasks in hand finish, then returns.

An idle worker wakes when work falls due: a notification that a task was
queued (publishing/wakeups.py), the earliest scheduled time, or at the latest
the poll interval, which also paces the sweep.

Nothing one row holds stops the loop: a task that cannot be read or published
fails itself with the reason (and its receipt), a sweep step that fails is
logged and the next runs, and a database that is down is waited for.
"""

import contextlib
import logging
import os
import queue
import socket
import threading
import time

from django.conf import settings
from django.db import DatabaseError, DataError, close_old_connections, connection
from django.utils import timezone

from publishing import delivery, lapses, locks
from publishing.wakeups import Listener
from safety import qa_sampling
from videos import storage

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews a worker's lease on one task, from a thread, while the block runs.

    A database error skips one renewal (the next tick tries again, on a new
    connection); it ends only when a renewal finds the task no longer leased to
    this worker: the lease is really lost.
    """

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
                if self._renew_once() is False:
                    # Not when the publish ended meanwhile (its commit, then this block's end).
                    if not self._done.is_set():
                        log.warning("Lost the lease on task %s", self.task_id)
                    return
        finally:
            _close_quietly()  # this thread's own connection

    def _renew_once(self) -> bool | None:
        """True if renewed, False if the lease is lost, None if the database failed."""
        try:
            return delivery.renew_lease(task_id=self.task_id, worker=self.worker)
        except Exception:  # noqa: BLE001 - a blip must not end the renewals
            log.warning("Could not renew the lease on task %s", self.task_id, exc_info=True)
            _close_quietly()
            return None


def _close_quietly() -> None:
    """Drop this thread's connection (it may be broken): the next query opens a new one."""
    try:
        connection.close()
    except DatabaseError:
        pass


# What the sweep does now and then, in order: functions of no arguments. Each
# runs on its own, so one that fails is logged and the others still run; add a
# step here, or, from an app above publishing, with add_sweep_step.
SWEEP_STEPS = [
    delivery.void_changed_approvals,  # approvals whose video changed
    delivery.reconcile_receipts,  # pending receipts whose task ended elsewhere
    lapses.lapse_changed_clearances,  # reviewed files the pipeline or an upload changed
    lapses.retract_rejected,  # published receipts of rejected videos a channel kept
    qa_sampling.sample_cleared_reports,  # QA's share of the reports the pipeline cleared
]


def add_sweep_step(step) -> None:
    """Adds a step to every worker's sweep (call it from an AppConfig.ready)."""
    if step not in SWEEP_STEPS:
        SWEEP_STEPS.append(step)


class Publishers:
    """The threads publishing the tasks a worker claimed, one task each at a
    time, each on a database connection of its own (made the first time it is
    needed, closed when the block ends).

    At most `size` channel calls are in flight at once: a thread holds one of
    `size` call slots for its call and the one query that confirms the task's
    checks still hold (`delivery.publish_task`'s `calling`). As many tasks
    again are in hand, read, checked and waiting for a slot, and the outcomes
    of calls that ended are recorded meanwhile, so a slot that frees goes to a
    task ready to call at once. Each finished task rouses the worker: one more may be claimed. The
    block ends once every task in hand is done.
    """

    def __init__(self, worker: "Worker", size: int):
        self.worker = worker
        self.size = size
        self.hand = 2 * size  # tasks in hand: calling, and as many waiting for a slot
        self.busy = 0
        self._lock = threading.Lock()
        self._calls = threading.BoundedSemaphore(size)
        self._tasks = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    @property
    def free(self) -> int:
        return self.hand - self.busy

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()

    def start(self, tasks) -> None:
        for task in tasks:
            with self._lock:
                self.busy += 1
                if len(self._threads) < min(self.busy, self.hand):
                    self._spawn()
            self._tasks.put(task)

    def _spawn(self) -> None:
        number = len(self._threads) + 1
        thread = threading.Thread(target=self._serve, daemon=True, name=f"publisher-{number}")
        self._threads.append(thread)
        thread.start()

    def _calling(self):
        return self._calls

    def _serve(self) -> None:
        try:
            while (task := self._tasks.get()) is not None:
                try:
                    close_old_connections()  # one a database restart broke
                    self.worker.publish(task, calling=self._calling)
                finally:
                    with self._lock:
                        self.busy -= 1
                    self.worker.rouse()
        finally:
            _close_quietly()  # this thread's own connection


class Worker:
    def __init__(
        self,
        *,
        name: str | None = None,
        poll: float | None = None,
        concurrency: int | None = None,
    ):
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.poll = settings.PUBLISH_POLL_SECONDS if poll is None else poll
        self.concurrency = settings.PUBLISH_CONCURRENCY if concurrency is None else concurrency
        # Set while it waits with no task in hand and nothing new to look at.
        self.idle = threading.Event()
        self._stopping = threading.Event()
        self._roused = threading.Event()  # a notification, a free slot, stop()
        self._next_due = None  # the earliest scheduled task it knows of
        self._last_sweep = 0.0

    def stop(self, *_signal) -> None:
        self._stopping.set()
        self.rouse()

    def rouse(self) -> None:
        """Look at the queue now (thread-safe)."""
        self.idle.clear()
        self._roused.set()

    def run(self, *, once: bool = False) -> int:
        """Publish due tasks until stopped; with `once`, until none is due and
        none is in hand. Returns how many tasks it handled."""
        handled = 0
        storage.make_clients()
        log.info("Publish worker %s started (%s at once)", self.name, self.concurrency)
        with Publishers(self, self.concurrency) as publishers, self._listening(once):
            while not self._stopping.is_set():
                self._roused.clear()
                # Fewer than asked for: none else is due. As many: the hand is full.
                claimed = self._next(limit=publishers.free)
                publishers.start(claimed)
                handled += len(claimed)
                if once and not claimed and not publishers.busy:
                    break
                self._wait(self._timeout(once=once, full=not publishers.free), publishers.busy)
        log.info("Publish worker %s stopped after %s tasks", self.name, handled)
        return handled

    def _listening(self, once: bool):
        """Notifications while the worker runs (a `once` run never waits for them)."""
        if once:
            return contextlib.nullcontext()
        return Listener(self.rouse, ready_within=min(self.poll, 5))

    def _wait(self, timeout: float | None, in_hand: int) -> None:
        """Until roused (a notification, a free slot, stop()), or `timeout`."""
        if not in_hand and not self._roused.is_set():
            self.idle.set()
        self._roused.wait(timeout)
        self.idle.clear()

    def _timeout(self, *, once: bool, full: bool) -> float | None:
        """How long to wait at most: while every slot is busy (or in a `once`
        run), until a publish in hand ends, as one worker publishing one task
        did; else until the earliest scheduled task falls due, or the next poll."""
        if once or full:
            return None
        if self._next_due is None:
            return self.poll
        until_due = (self._next_due - timezone.now()).total_seconds()
        return min(self.poll, max(until_due, 0.0))

    def _next(self, *, limit: int) -> list:
        """Sweep now and then, and claim up to `limit` due tasks: none if none
        is due, or the database failed. Notes the next scheduled time."""
        try:
            close_old_connections()
            self._sweep()
            if not limit:
                return []
            now = timezone.now()
            claimed = delivery.claim_due(worker=self.name, limit=limit)
            if len(claimed) < limit:
                self._next_due = locks.next_due(now)
            return claimed
        except DatabaseError:
            log.exception("The database failed; trying again in %s s", self.poll)
            _close_quietly()
        except Exception:  # noqa: BLE001 - rows that cannot be read fail in claim_due
            log.exception("Claiming a task failed; trying again in %s s", self.poll)
        self._next_due = None
        return []

    def publish(self, task, *, calling=contextlib.nullcontext) -> None:
        """Publish one claimed task (`calling`: see `delivery.publish_task`).
        If that raises, the task fails with the reason (it would fail the same
        way again); if the database is down, it stays leased, and once the
        lease runs out it is claimed again, until its attempts are used up."""
        try:
            with LeaseKeeper(task.pk, self.name):
                outcome = delivery.publish_task(task_id=task.pk, worker=self.name, calling=calling)
        except DatabaseError as error:
            if not isinstance(error, DataError):
                log.exception("The database failed while publishing task %s", task.pk)
                _close_quietly()
                return
            outcome = self._fail(task, error)
        except Exception as error:  # noqa: BLE001 - one task must not stop the worker
            outcome = self._fail(task, error)
        log.info("Task %s: %s", task.pk, outcome)

    def _fail(self, task, error: Exception) -> str:
        log.error("Publishing task %s raised", task.pk, exc_info=error)
        reason = f"The worker could not publish this task: {delivery.unreadable(error)}"
        try:
            failed = delivery.fail_task(task_id=task.pk, reason=reason, worker=self.name)
        except DatabaseError:
            log.exception("Could not record the failure of task %s", task.pk)
            _close_quietly()
            return "unrecorded"
        return "failed" if failed else "lost"

    def _sweep(self) -> None:
        if time.monotonic() - self._last_sweep < self.poll:
            return
        self._last_sweep = time.monotonic()
        for step in SWEEP_STEPS:
            try:
                step()
            except DatabaseError:
                log.exception("Sweep step %s: the database failed", step.__name__)
                _close_quietly()
            except Exception:  # noqa: BLE001 - one step must not stop the others
                log.exception("Sweep step %s failed", step.__name__)
