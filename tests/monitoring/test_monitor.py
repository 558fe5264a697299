"""The monitor loop and the workers' heartbeats, in this process and as real
`manage.py monitor` / `publish_worker` processes."""

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from monitoring.conditions import CONDITIONS
from monitoring.heartbeat import beat, worker_name
from monitoring.models import Incident, IncidentKind, WorkerHeartbeat
from monitoring.monitor import Monitor
from publishing.worker import SWEEP_STEPS, Worker
from tests.helpers import pending
from tests.publishing.test_worker_processes import database_url, until

pytestmark = pytest.mark.django_db(transaction=True)


def broken_condition(now):
    raise RuntimeError("a condition with a bug")


def database_error_condition(now):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


@pytest.fixture
def breach(settings):
    settings.SAFETY_SLA_BREACH_MINUTES = 60
    settings.MONITOR_WEBHOOK_URL = ""
    settings.MONITOR_EMAIL_RECIPIENTS = []
    return pending(age=61)


def test_the_loop_survives_a_failing_condition_and_checks_the_others(breach, caplog):
    conditions = {
        "broken": broken_condition,
        "database": database_error_condition,
        **CONDITIONS,
    }

    with caplog.at_level(logging.ERROR, logger="monitoring.monitor"):
        rounds = Monitor(interval=0, conditions=conditions).run(once=True)

    assert rounds == 1
    assert Incident.objects.filter(kind=IncidentKind.SLA_BREACH, resolved_at=None).count() == 1
    assert "Monitor, condition broken failed" in caplog.text
    assert "Monitor, condition database: the database failed" in caplog.text


def test_a_failing_condition_leaves_its_incidents_open(breach):
    Monitor(interval=0).run(once=True)

    Monitor(interval=0, conditions={IncidentKind.SLA_BREACH: broken_condition}).run(once=True)

    assert Incident.objects.get().resolved_at is None


def test_the_loop_runs_until_stopped(breach):
    monitor = Monitor(interval=0.01)
    rounds = []

    def run():
        try:
            rounds.append(monitor.run())
        finally:
            connection.close()  # the thread's own

    thread = threading.Thread(target=run)
    thread.start()
    until(lambda: Incident.objects.exists(), timeout=30)
    monitor.stop()
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert rounds[0] >= 1
    assert Incident.objects.count() == 1


# ---------------------------------------------------------------------------
# Heartbeats.


def test_the_heartbeat_is_a_step_of_every_worker_sweep():
    assert beat in SWEEP_STEPS


def test_a_worker_sweep_records_its_heartbeat_by_host_and_pid():
    before = timezone.now()

    Worker(poll=0).run(once=True)

    [heartbeat] = WorkerHeartbeat.objects.all()
    assert heartbeat.name == worker_name()
    assert heartbeat.seen_at >= before


def test_a_second_beat_moves_the_same_row():
    beat()
    first = WorkerHeartbeat.objects.get().seen_at

    beat()

    [heartbeat] = WorkerHeartbeat.objects.all()
    assert heartbeat.seen_at > first


def test_stale_heartbeats_are_pruned_and_recent_ones_kept(settings):
    settings.WORKER_HEARTBEAT_PRUNE_SECONDS = 3600
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="dead:1", seen_at=now - timedelta(seconds=3700))
    WorkerHeartbeat.objects.create(name="quiet:2", seen_at=now - timedelta(seconds=3500))

    beat()

    names = set(WorkerHeartbeat.objects.values_list("name", flat=True))
    assert names == {"quiet:2", worker_name()}


# ---------------------------------------------------------------------------
# Real processes.


def start(tmp_path, command: str, *args: str) -> subprocess.Popen:
    log = tmp_path / f"{command}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "INFO",
        "SAFETY_SLA_BREACH_MINUTES": "60",
        "MONITOR_WEBHOOK_URL": "",
        "PUBLISH_POLL_SECONDS": "0.1",
    }
    with log.open("w") as output:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "manage.py", command, *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    process.log = log
    return process


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def test_monitor_and_worker_processes_heartbeat_alert_and_stop_on_sigterm(breach, tmp_path):
    worker = start(tmp_path, "publish_worker")
    monitor = start(tmp_path, "monitor", "--interval", "0.2")
    try:
        until(lambda: WorkerHeartbeat.objects.exists(), timeout=60, p_log=worker.log)
        until(lambda: Incident.objects.exists(), timeout=60, p_log=monitor.log)
    finally:
        codes = stop(monitor), stop(worker)

    assert codes == (0, 0)
    assert WorkerHeartbeat.objects.get().name.endswith(f":{worker.pid}")
    assert Incident.objects.get().kind == IncidentKind.SLA_BREACH
    assert "Monitor stopped after" in monitor.log.read_text()
