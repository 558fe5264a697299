"""One publish worker keeps up to PUBLISH_CONCURRENCY channel calls in flight,
each task in a thread with its own connection and lease; never more, each
task exactly once, and stopping lets every task in hand finish. While the
calls run, as many tasks again are claimed and read, and the outcomes of
ended calls are recorded, outside the call slots."""

import os
import subprocess
import sys
import threading
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from publishing import channels
from publishing.models import PublishReceipt, PublishStatus
from publishing.worker import Worker
from tests.helpers import approve, grant_channels, in_thread, reload, wait_for
from tests.publishing.webhook_server import Answer
from videos.models import ArtifactKind, Task, TaskStatus, TaskType

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 60  # seconds: generous, a shared 2-core machine; never what is asserted


@pytest.fixture
def held_channel(settings, webhook_server, db):
    """The channel "hook": a real HTTP server that holds each publish until
    `webhook_server.release()` (the timeout is far beyond the test's)."""
    settings.PUBLISH_CHANNELS = {
        "hook": {"adapter": "webhook", "url": webhook_server.url, "timeout": DEADLINE}
    }
    channels.sync_permissions()
    return webhook_server


def approvals(publisher, ready_video, count: int, channel: str) -> list[PublishReceipt]:
    receipts = []
    for _ in range(count):
        receipts += approve(ready_video(kinds=[ArtifactKind.RENDER]), publisher, [channel])
    return receipts


def test_one_worker_keeps_up_to_its_concurrency_in_flight_and_never_more(
    publisher, ready_video, held_channel
):
    receipts = approvals(grant_channels(publisher, "hook"), ready_video, 5, "hook")
    held_channel.script(*[Answer(hang=True)] * 5)
    worker = Worker(name="w", poll=0, concurrency=3)
    thread = in_thread(lambda: worker.run(once=True))

    wait_for(lambda: held_channel.in_flight == 3, "three publishes held at the channel at once")
    held_channel.release()
    thread.join(timeout=DEADLINE)

    assert held_channel.most_in_flight == 3
    assert len(held_channel.requests) == 5, "the other two went once a slot was free"
    assert all(reload(r).status == PublishStatus.PUBLISHED for r in receipts)


def publish_tasks(**fields):
    return Task.objects.filter(type=TaskType.PUBLISH, **fields)


def test_while_its_calls_are_held_a_worker_has_as_many_tasks_again_claimed_for_the_next_slots(
    publisher, ready_video, held_channel
):
    receipts = approvals(grant_channels(publisher, "hook"), ready_video, 5, "hook")
    held_channel.script(*[Answer(hang=True)] * 5)
    worker = Worker(name="w", poll=0, concurrency=2)
    thread = in_thread(lambda: worker.run(once=True))

    wait_for(lambda: held_channel.in_flight == 2, "two publishes held at the channel")
    wait_for(
        lambda: publish_tasks(status=TaskStatus.RUNNING, leased_by="w").count() == 4,
        "two more tasks claimed and read while both calls are held",
    )
    assert publish_tasks(status=TaskStatus.QUEUED).count() == 1, "two ahead, no more"
    held_channel.release()
    thread.join(timeout=DEADLINE)

    assert held_channel.most_in_flight == 2, "the tasks ahead waited for a free slot"
    assert len(held_channel.requests) == 5
    assert all(reload(r).status == PublishStatus.PUBLISHED for r in receipts)


def test_a_freed_slot_calls_the_next_task_while_the_last_outcome_waits_to_be_recorded(
    publisher, ready_video, held_channel
):
    receipts = approvals(grant_channels(publisher, "hook"), ready_video, 2, "hook")
    held_channel.script(Answer(hang=True))
    worker = Worker(name="w", poll=0, concurrency=1)
    thread = in_thread(lambda: worker.run(once=True))
    wait_for(lambda: held_channel.in_flight == 1, "the first publish held at the channel")
    first = PublishReceipt.objects.get(pk=held_channel.requests[0].key)
    unlock = threading.Event()
    locked = threading.Event()

    def hold_the_task_row():
        # The worker records the outcome under this row's lock: it waits for it.
        with transaction.atomic():
            Task.objects.select_for_update().get(pk=first.task_id)
            locked.set()
            unlock.wait(timeout=DEADLINE)

    holder = in_thread(hold_the_task_row)
    wait_for(locked.is_set, "the first task's row locked")
    held_channel.release()

    wait_for(lambda: len(held_channel.requests) == 2, "the second call, with the first unrecorded")
    assert reload(first).status == PublishStatus.PENDING, "its outcome still waits for the row"
    assert held_channel.most_in_flight == 1
    unlock.set()
    holder.join(timeout=DEADLINE)
    thread.join(timeout=DEADLINE)

    assert all(reload(r).status == PublishStatus.PUBLISHED for r in receipts)


def test_stop_lets_every_publish_in_hand_finish(publisher, ready_video, held_channel):
    receipts = approvals(grant_channels(publisher, "hook"), ready_video, 2, "hook")
    held_channel.script(*[Answer(hang=True)] * 2)
    worker = Worker(name="w", poll=3600, concurrency=2)
    thread = in_thread(worker.run)
    wait_for(lambda: held_channel.in_flight == 2, "both publishes at the channel")

    worker.stop()
    assert thread.is_alive(), "stopping waits for the channel"
    held_channel.release()
    thread.join(timeout=DEADLINE)

    assert not thread.is_alive()
    for receipt in receipts:
        receipt = reload(receipt)
        assert receipt.status == PublishStatus.PUBLISHED
        assert (receipt.task.status, receipt.task.leased_by) == (TaskStatus.SUCCEEDED, None)


def test_workers_publishing_several_at_once_publish_each_task_exactly_once(
    publisher, ready_video, channel_root
):
    tasks = 24
    receipts = approvals(publisher, ready_video, tasks, "youtube")
    workers = [Worker(name=f"w{n}", poll=0, concurrency=4) for n in range(3)]
    handled = Counter()
    threads = [in_thread(lambda w=w: handled.update({w.name: w.run(once=True)})) for w in workers]
    for thread in threads:
        thread.join(timeout=DEADLINE * 3)

    assert sum(handled.values()) == tasks
    lines = [line.split("\t") for line in (channel_root / "youtube" / "published.log").open()]
    deliveries = Counter(key for _, event, key, _ in lines if event == "published")
    assert sorted(deliveries) == sorted(str(r.pk) for r in receipts)
    assert set(deliveries.values()) == {1}
    assert not [line for line in lines if line[1] != "published"], "no key came twice"
    published = Task.objects.filter(type=TaskType.PUBLISH, status=TaskStatus.SUCCEEDED)
    assert set(published.values_list("attempts", flat=True)) == {1}
    assert published.count() == tasks


@pytest.mark.parametrize(
    "value, message",
    [
        ("0", "PUBLISH_CONCURRENCY=0 must be from 1 to 64"),
        ("65", "PUBLISH_CONCURRENCY=65 must be from 1 to 64"),
        ("four", "PUBLISH_CONCURRENCY='four' is not a whole number"),
    ],
)
def test_a_concurrency_out_of_range_is_a_clear_error_at_startup(value, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DEBUG": "1", "PUBLISH_CONCURRENCY": value},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr
