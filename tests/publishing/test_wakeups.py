"""An idle publish worker wakes when work falls due: notified by the database
trigger when a task is queued or rescheduled, whoever writes it, and at a
task's scheduled time without any notification. Every worker here polls once
an hour: only a wake-up can have made it publish within the test."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from publishing.models import PublishStatus
from publishing.wakeups import CHANNEL
from publishing.worker import Worker
from tests.helpers import approve, in_thread, reload, wait_for
from videos.models import Task, TaskStatus, TaskType

pytestmark = pytest.mark.django_db(transaction=True)

HOUR = 3600
DEADLINE = 60  # seconds: generous, a shared 2-core machine; never what is asserted


@contextmanager
def running(worker: Worker):
    """`worker` running in a thread, idle (it has looked at the queue once
    and listens), until the block ends."""

    thread = in_thread(worker.run)
    try:
        wait_for(worker.idle.is_set, "the worker goes idle")
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=DEADLINE)
    assert not thread.is_alive(), "the worker stops"


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def listening_backends() -> set[int]:
    """Backends of the test database that LISTEN for publish work."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            [f"LISTEN {CHANNEL}"],
        )
        return {pid for (pid,) in cursor.fetchall()}


def is_published(receipt) -> bool:
    return reload(receipt).status == PublishStatus.PUBLISHED


def scheduled_in_an_hour(publisher, ready_video):
    (receipt,) = approve(ready_video(), publisher, not_before=timezone.now() + timedelta(hours=1))
    return receipt


def test_an_idle_worker_publishes_a_task_the_pipeline_makes_due_by_plain_sql(
    publisher, ready_video
):
    receipt = scheduled_in_an_hour(publisher, ready_video)
    with running(Worker(name="w", poll=HOUR)):
        sql(
            "UPDATE tasks SET not_before = now(), state_version = state_version + 1"
            " WHERE task_id = %s",
            receipt.task_id,
        )
        wait_for(lambda: is_published(receipt), "the task is published")
    assert reload(receipt.task).attempts == 1


def test_an_idle_worker_takes_a_publish_task_the_pipeline_inserts_by_plain_sql(
    publisher, ready_video
):
    video = ready_video()
    with running(Worker(name="w", poll=HOUR)):
        sql(
            "INSERT INTO tasks (video_id, type, status, payload)"
            " VALUES (%s, 'publish', 'queued', '{}') ",
            video.pk,
        )
        task = wait_for(
            lambda: Task.objects.filter(video=video, status=TaskStatus.FAILED).first(),
            "the worker claims the inserted task",
        )
    # Claimed and handled: a task no approval made fails with the reason.
    assert "not made by an approval" in task.last_error
    assert task.attempts == 1


def test_a_task_scheduled_seconds_ahead_is_published_when_due_without_a_notification(
    publisher, ready_video
):
    at = timezone.now() + timedelta(seconds=2)
    # Scheduled before the worker listens: no notification ever reaches it.
    (receipt,) = approve(ready_video(), publisher, not_before=at)
    with running(Worker(name="w", poll=HOUR)):
        wait_for(lambda: is_published(receipt), "the task is published at its time")
    assert reload(receipt).timestamp >= at, "not before its time"


def test_a_rescheduled_task_wakes_the_worker_for_its_new_time(publisher, ready_video):
    receipt = scheduled_in_an_hour(publisher, ready_video)
    with running(Worker(name="w", poll=HOUR)):
        at = timezone.now() + timedelta(seconds=2)
        sql("UPDATE tasks SET not_before = %s WHERE task_id = %s", at, receipt.task_id)
        wait_for(lambda: is_published(receipt), "the task is published at its new time")
    assert reload(receipt).timestamp >= at


def test_a_worker_whose_listen_connection_is_killed_reconnects_and_still_wakes(
    publisher, ready_video
):
    receipt = scheduled_in_an_hour(publisher, ready_video)
    with running(Worker(name="w", poll=HOUR)) as worker:
        (first,) = wait_for(listening_backends, "the worker listens")
        sql("SELECT pg_terminate_backend(%s)", first)

        wait_for(lambda: listening_backends() - {first}, "the worker listens again")
        wait_for(worker.idle.is_set, "the worker goes idle again")
        sql("UPDATE tasks SET not_before = now() WHERE task_id = %s", receipt.task_id)
        wait_for(lambda: is_published(receipt), "the task is published")
    assert first not in listening_backends()


def test_the_trigger_notifies_when_a_publish_task_is_queued_or_rescheduled_only(
    publisher, ready_video, pipeline_db
):
    receipt = scheduled_in_an_hour(publisher, ready_video)
    listener = pipeline_db()
    listener.execute(f"LISTEN {CHANNEL}")

    def heard(statement, *params) -> int:
        sql(statement, *params)  # committed: its notifications are on their way
        return len(list(listener.notifies(timeout=0.5)))

    task = receipt.task_id
    assert heard("UPDATE tasks SET not_before = now() WHERE task_id = %s", task) == 1
    assert heard("UPDATE tasks SET last_error = 'x' WHERE task_id = %s", task) == 0
    assert heard("UPDATE tasks SET status = 'running' WHERE task_id = %s", task) == 0
    assert heard("UPDATE tasks SET status = 'queued' WHERE task_id = %s", task) == 1
    check = Task.objects.exclude(type=TaskType.PUBLISH).get(video_id=receipt.video_id)
    assert heard("UPDATE tasks SET not_before = now() WHERE task_id = %s", check.pk) == 0
