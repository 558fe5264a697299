"""Real `manage.py publish_worker` processes against the test database: many
at once publish each task exactly once, and a worker killed mid-publish is
taken over, with the same idempotency key, once its lease runs out."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from publishing.models import PublishReceipt, PublishStatus
from tests.helpers import approve, grant_channels
from tests.publishing.webhook_server import Answer
from videos.models import ArtifactKind, Task, TaskStatus, TaskType

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 2
# Eight workers with up to PUBLISH_CONCURRENCY (4) publishes in flight each
# share this 2-core machine with the rest of the suite: a 2 s lease can run
# out while a publish waits for the CPU, and the retry (same key, correct)
# is not what the exactly-once count below is about.
BUSY_LEASE_SECONDS = 20


def database_url() -> str:
    """The test database (pytest-django's), for processes of their own."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Workers:
    """`manage.py publish_worker` processes, each logging to a file of its own."""

    def __init__(self, log_dir: Path, channels: dict, lease: int = LEASE_SECONDS):
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PUBLISH_CHANNELS": json.dumps(channels),
            "PUBLISH_LEASE_SECONDS": str(lease),
            "PUBLISH_POLL_SECONDS": "0.1",
            "LOG_LEVEL": "INFO",
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = self.log_dir / f"worker-{len(self.processes)}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "publish_worker", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        process.log = log
        self.processes.append(process)
        return process

    def wait_until_started(self, timeout=60) -> None:
        for process in self.processes:
            until(lambda p=process: "started" in p.log.read_text(), timeout, p_log=process.log)

    def stop_all(self, timeout=30) -> list[int]:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return [process.wait(timeout=timeout) for process in self.processes]

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def until(condition, timeout: float, p_log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = p_log.read_text() if p_log else ""
            raise AssertionError(f"timed out after {timeout}s\n{log}")
        time.sleep(0.1)


@pytest.fixture
def workers(tmp_path):
    made = []

    def make(channels: dict, **options) -> Workers:
        made.append(Workers(tmp_path, channels, **options))
        return made[-1]

    yield make
    for group in made:
        group.kill_all()


def test_eight_workers_publish_two_hundred_tasks_each_exactly_once(
    publisher, ready_video, local_channels, channel_root, workers
):
    tasks = 200
    later = timezone.now() + timedelta(hours=1)
    receipts = []
    for _ in range(tasks):
        video = ready_video(kinds=[ArtifactKind.RENDER])
        receipts += approve(video, publisher, ["youtube"], not_before=later)
    group = workers(local_channels, lease=BUSY_LEASE_SECONDS)
    for _ in range(8):
        group.start()
    group.wait_until_started()

    # Everything falls due at once, with all eight workers polling.
    Task.objects.filter(type=TaskType.PUBLISH).update(not_before=timezone.now())
    until(
        lambda: PublishReceipt.objects.filter(status=PublishStatus.PUBLISHED).count() == tasks,
        timeout=180,
        p_log=group.processes[0].log,
    )
    assert group.stop_all() == [0] * 8, "every worker stops cleanly on SIGTERM"

    # The channel's own record of what it received: one delivery per key.
    lines = [line.split("\t") for line in (channel_root / "youtube" / "published.log").open()]
    deliveries = Counter(key for _, event, key, _ in lines if event == "published")
    assert sorted(deliveries) == sorted(str(r.pk) for r in receipts)
    assert set(deliveries.values()) == {1}
    assert not [line for line in lines if line[1] != "published"], "no key came twice"
    assert len(list((channel_root / "youtube").glob("*.json"))) == tasks
    workers_that_published = {pid.strip() for *_, pid in lines}
    assert len(workers_that_published) > 1, "the work was shared"
    assert Task.objects.filter(type=TaskType.PUBLISH, status=TaskStatus.SUCCEEDED).count() == tasks
    assert set(Task.objects.values_list("attempts", flat=True).filter(type="publish")) == {1}


def test_a_worker_killed_mid_publish_is_taken_over_with_the_same_key(
    publisher, ready_video, webhook_server, settings, workers
):
    config = {"hook": {"adapter": "webhook", "url": webhook_server.url, "timeout": 60}}
    settings.PUBLISH_CHANNELS = config
    from publishing import channels

    channels.sync_permissions()
    (receipt,) = approve(ready_video(), grant_channels(publisher, "hook"), ["hook"])
    # The channel publishes, then hangs before answering the first worker.
    webhook_server.script(Answer(hang=True))
    group = workers(config)
    first = group.start()
    assert webhook_server.state.hanging.wait(timeout=60), first.log.read_text()

    # While the channel works, the worker keeps its lease alive.
    time.sleep(LEASE_SECONDS * 1.5)
    task = Task.objects.get(pk=receipt.task_id)
    assert task.status == TaskStatus.RUNNING
    assert task.lease_expires_at > timezone.now()

    first.kill()  # SIGKILL: no cleanup, the lease is left to run out
    first.wait()
    second = group.start()
    until(
        lambda: PublishReceipt.objects.get(pk=receipt.pk).status == PublishStatus.PUBLISHED,
        timeout=60,
        p_log=second.log,
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0

    keys = [request.key for request in webhook_server.requests]
    assert keys == [str(receipt.pk), str(receipt.pk)], "the retry sent the same key"
    assert webhook_server.published == {str(receipt.pk): "remote-1"}, "published once"
    published = PublishReceipt.objects.filter(
        video_id=receipt.video_id, channel="hook", status=PublishStatus.PUBLISHED
    )
    assert [(r.pk, r.remote_id) for r in published] == [(receipt.pk, "remote-1")]
    task = Task.objects.get(pk=receipt.task_id)
    assert (task.status, task.attempts) == (TaskStatus.SUCCEEDED, 2)
