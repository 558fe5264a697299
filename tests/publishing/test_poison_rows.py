"""Rows no worker expects, written by SQL as any program could: each fails
itself with a clear reason, and every other video is still published.

A timestamp past year 9999, a payload of the wrong shape, a row nested
deeper than Python reads, a lease keeper whose connection is killed."""

import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from core import db
from publishing import delivery, worker
from publishing.models import PublishStatus
from publishing.worker import LeaseKeeper, Worker
from tests.helpers import approve, reload, wait_for
from videos.models import Task, TaskStatus, Video, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)

# Deeper than Python's json reads (its recursion limit), shallower than Postgres's.
DEEP = "[" * 5000 + "]" * 5000


def run_worker() -> int:
    return Worker(name="worker-1", poll=0).run(once=True)


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def two_approvals(publisher, ready_video):
    """A good approval and one to spoil, each with its receipt: (good, spoilt)."""
    (good,) = approve(ready_video(title="Good"), publisher)
    (spoilt,) = approve(ready_video(title="Spoilt"), publisher)
    return good, spoilt


def lease_ran_out(receipt) -> None:
    """The task as a worker that died mid-publish leaves it: running, lease
    over, and due before any other."""
    sql(
        "UPDATE tasks SET status = 'running', leased_by = 'dead', attempts = 1,"
        " lease_expires_at = now() - interval '1 minute',"
        " not_before = now() - interval '1 hour' WHERE task_id = %s",
        receipt.task_id,
    )


def assert_published(receipt) -> None:
    receipt = reload(receipt)
    assert receipt.status == PublishStatus.PUBLISHED
    assert receipt.task.status == TaskStatus.SUCCEEDED


def assert_failed_with(receipt, message: str) -> None:
    receipt = reload(receipt)
    # Not the task itself: its payload may be what cannot be read.
    task = Task.objects.values("status", "last_error", "leased_by").get(pk=receipt.task_id)
    assert task["status"] == TaskStatus.FAILED
    assert message in task["last_error"]
    assert receipt.status == PublishStatus.FAILED
    assert receipt.error == task["last_error"]
    assert task["leased_by"] is None


# Timestamps Python cannot hold


@pytest.mark.parametrize("value", ["12000-01-01", "294276-12-31 23:00:00+00", "infinity"])
def test_a_task_scheduled_after_year_9999_does_not_stop_the_others(publisher, ready_video, value):
    good, far = two_approvals(publisher, ready_video)
    sql("UPDATE tasks SET not_before = %s::timestamptz WHERE task_id = %s", value, far.task_id)

    assert run_worker() == 1

    assert_published(good)
    far = reload(far)
    assert far.status == PublishStatus.PENDING
    assert far.task.status == TaskStatus.QUEUED
    assert db.out_of_range(far.task.not_before)
    assert far.task.not_before == db.LATEST


def test_timestamps_before_year_1_read_as_the_early_sentinel(publisher, ready_video):
    (receipt,) = approve(ready_video(), publisher)
    sql("UPDATE publish_receipts SET timestamp = '4713-01-01 BC' WHERE publish_id = %s", receipt.pk)
    sql("UPDATE tasks SET lease_expires_at = '-infinity' WHERE task_id = %s", receipt.task_id)
    receipt = reload(receipt)
    assert receipt.timestamp == db.EARLIEST
    assert receipt.task.lease_expires_at == db.EARLIEST
    assert db.out_of_range(receipt.timestamp)
    assert not db.out_of_range(receipt.task.created_at)


def test_values_past_either_end_of_pythons_range_read_as_sentinels_of_their_type():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT '12000-01-01'::timestamptz, 'infinity'::timestamp, '12000-01-01'::date,"
            " '-infinity'::timestamptz, '200-01-01 BC'::timestamp, '1-01-01 BC'::date"
        )
        late_tz, late, late_day, early_tz, early, early_day = cursor.fetchone()
    assert (late_tz, early_tz) == (db.LATEST, db.EARLIEST)
    assert (late, early) == db.NAIVE[::-1]
    assert (late_day, early_day) == db.DAYS[::-1]
    for value in (late_tz, late, late_day, early_tz, early, early_day):
        assert db.out_of_range(value)


def test_the_last_day_python_holds_reads_as_the_sentinel_so_every_time_zone_shows_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT '9999-12-31 23:00:00+00'::timestamptz, now()")
        last, now = cursor.fetchone()
    assert last == db.LATEST
    assert timezone.localtime(last, ZoneInfo("Pacific/Kiritimati")).year == 9999  # UTC+14
    assert not db.out_of_range(now)


def test_the_tasks_list_and_the_timeline_answer_with_a_task_after_year_9999(
    publisher, ready_video, client_for, admin_user
):
    (receipt,) = approve(ready_video(), publisher)
    sql("UPDATE tasks SET not_before = '12000-01-01' WHERE task_id = %s", receipt.task_id)
    sql("UPDATE publish_receipts SET timestamp = '12000-01-01' WHERE publish_id = %s", receipt.pk)
    client = client_for(admin_user)
    for url in (
        "/admin/videos/task/",
        f"/admin/videos/task/{receipt.task_id}/change/",
        f"/admin/videos/video/{receipt.video_id}/timeline/",
        "/admin/publishing/publishreceipt/",
    ):
        assert client.get(url).status_code == 200, url


# Payloads of the wrong shape


def artifact(**fields) -> dict:
    return {"id": str(uuid.uuid4()), "kind": "render", "s3_path": "s3://b/k", **fields}


BAD_PAYLOADS = {
    "artifacts is text": ({"artifacts": "render.webm"}, '"artifacts" is text, not a list'),
    "artifacts missing": ({"title": "x"}, '"artifacts" is missing or null, not a list'),
    "artifacts of numbers": ({"artifacts": [1, 2]}, "artifacts[0] is a number, not an object"),
    "artifacts of text": ({"artifacts": ["a"]}, "artifacts[0] is text, not an object"),
    "id not a UUID": ({"artifacts": [artifact(id="../x")]}, "artifacts[0].id is not a UUID"),
    "id a number": ({"artifacts": [artifact(id=7)]}, "artifacts[0].id is a number, not text"),
    "s3_path an object": (
        {"artifacts": [artifact(s3_path={"k": 1})]},
        "artifacts[0].s3_path is an object, not text",
    ),
    "etag a list": ({"artifacts": [artifact(etag=[])]}, "artifacts[0].etag is a list, not text"),
    "approved_by text": ({"artifacts": [], "approved_by": "x"}, '"approved_by" is text'),
    "persona_id a number": ({"artifacts": [], "persona_id": 3}, "persona_id is a number"),
    "receipt_id not a UUID": ({"artifacts": [], "receipt_id": "r"}, "receipt_id is not a UUID"),
    "a list": ([{"artifacts": []}], "it is a list, not an object"),
    "a number": (1e308, "it is a number, not an object"),
    "null": (None, "it is missing or null, not an object"),
}


@pytest.mark.parametrize("state", ["queued", "lease ran out"])
@pytest.mark.parametrize("name", BAD_PAYLOADS)
def test_a_payload_of_the_wrong_shape_fails_its_own_task_and_the_others_publish(
    publisher, ready_video, name, state
):
    payload, message = BAD_PAYLOADS[name]
    good, bad = two_approvals(publisher, ready_video)
    sql("UPDATE tasks SET payload = %s::jsonb WHERE task_id = %s", json.dumps(payload), bad.task_id)
    if state == "lease ran out":
        lease_ran_out(bad)

    run_worker()

    assert_published(good)
    assert_failed_with(bad, f"This publish task was not made by an approval: {message}")


def test_a_payload_too_deep_to_read_fails_its_task_in_the_sweep_and_the_others_publish(
    publisher, ready_video
):
    good, deep = two_approvals(publisher, ready_video)
    sql("UPDATE tasks SET payload = %s::jsonb WHERE task_id = %s", DEEP, deep.task_id)

    assert run_worker() == 1

    assert_published(good)
    assert_failed_with(deep, "This task's row cannot be read: RecursionError")


def test_a_payload_too_deep_to_read_fails_its_task_at_claim_and_the_others_publish(
    publisher, ready_video
):
    good, deep = two_approvals(publisher, ready_video)
    sql("UPDATE tasks SET payload = %s::jsonb WHERE task_id = %s", DEEP, deep.task_id)
    lease_ran_out(deep)  # not swept (not queued), and due before the good one

    assert delivery.claim_due(worker="w") == [Task.objects.get(pk=good.task_id)]

    assert_failed_with(deep, "This task's row cannot be read: RecursionError")


def test_a_sweep_voids_a_changed_approval_past_a_row_it_cannot_read(publisher, ready_video):
    changed, deep = two_approvals(publisher, ready_video)
    sql("UPDATE tasks SET payload = %s::jsonb WHERE task_id = %s", DEEP, deep.task_id)
    sql("UPDATE videos SET title = 'Edited by the pipeline' WHERE video_id = %s", changed.video_id)

    assert delivery.void_changed_approvals() == 1

    assert reload(changed).task.status == TaskStatus.CANCELLED
    assert Video.objects.get(pk=changed.video_id).status == VideoStatus.READY
    assert_failed_with(deep, "This task's row cannot be read: RecursionError")


def test_a_task_that_raises_while_publishing_fails_once_and_the_worker_goes_on(
    publisher, ready_video
):
    bad, good = two_approvals(publisher, ready_video)
    # The worker reads the video's persona to publish: one it cannot read.
    persona_id = Video.objects.get(pk=bad.video_id).persona_id
    sql("UPDATE personas SET tone_profile = %s::jsonb WHERE persona_id = %s", DEEP, persona_id)

    assert run_worker() == 2

    assert_failed_with(bad, "The worker could not publish this task: RecursionError")
    assert reload(bad).task.attempts == 1  # failed for good, not retried every loop
    assert_published(good)


def test_a_sweep_step_that_raises_does_not_stop_the_next_steps_or_the_publishing(
    publisher, ready_video, monkeypatch
):
    def broken_step():
        raise RuntimeError("a step's bug")

    monkeypatch.setattr(worker, "SWEEP_STEPS", (broken_step, *worker.SWEEP_STEPS))
    cancelled, good = two_approvals(publisher, ready_video)
    sql("UPDATE tasks SET status = 'cancelled' WHERE task_id = %s", cancelled.task_id)

    assert run_worker() == 1

    assert reload(cancelled).status == PublishStatus.FAILED  # reconcile_receipts ran
    assert_published(good)


# The lease keeper


def other_backends(cursor) -> set[int]:
    """Backends on the test database other than this test's own connections."""
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND pid <> %s",
        [connection.connection.info.backend_pid],
    )
    return {pid for (pid,) in cursor.fetchall()}


def test_the_lease_keeper_renews_again_after_its_connection_is_killed(
    settings, publisher, ready_video, pipeline_db
):
    settings.PUBLISH_LEASE_SECONDS = 0.6  # a renewal every 0.2 s
    approve(ready_video(), publisher)
    (task,) = delivery.claim_due(worker="w")
    admin = pipeline_db()
    with admin.cursor() as cursor, LeaseKeeper(task.pk, "w") as keeper:
        (keeper_pid,) = wait_for(lambda: other_backends(cursor), "the keeper connects", seconds=10)
        cursor.execute("SELECT pg_terminate_backend(%s)", [keeper_pid])
        cursor.execute(
            "UPDATE tasks SET lease_expires_at = now() - interval '1 hour' WHERE task_id = %s",
            [task.pk],
        )

        wait_for(
            lambda: reload(task).lease_expires_at > task.lease_expires_at,
            "a renewal after",
            seconds=10,
        )
        assert keeper._thread.is_alive()
        assert other_backends(cursor) - {keeper_pid}


def test_the_lease_keeper_stops_when_the_lease_is_really_lost(settings, publisher, ready_video):
    settings.PUBLISH_LEASE_SECONDS = 0.6
    approve(ready_video(), publisher)
    (task,) = delivery.claim_due(worker="w")
    with LeaseKeeper(task.pk, "w") as keeper:
        sql("UPDATE tasks SET leased_by = 'someone-else' WHERE task_id = %s", task.pk)
        wait_for(lambda: not keeper._thread.is_alive(), "the keeper stops", seconds=10)
    assert reload(task).leased_by == "someone-else"
