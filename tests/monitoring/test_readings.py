"""Every query behind /metrics, /health/ and the monitor's conditions is
answered from an index or a small table: explained with sequential scans
disabled, no plan scans a big table (see tests/admin/test_index_paths.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.monitor import Monitor
from publishing.models import PublishStatus
from tests.factories import PendingReportFactory, PublishReceiptFactory, TaskFactory
from tests.helpers import decide, local_channel_config
from videos.models import TaskStatus, TaskType

pytestmark = pytest.mark.django_db

BIG_TABLES = (
    "videos",
    "tasks",
    "artifacts",
    "safety_reports",
    "publish_receipts",
    "safety_review_actions",
)


@pytest.fixture
def rows(settings, tmp_path, moderator):
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    settings.MONITOR_WEBHOOK_URL = ""
    settings.MONITOR_EMAIL_RECIPIENTS = []
    settings.METRICS_TOKEN = "t"
    for _ in range(3):
        TaskFactory(type=TaskType.PUBLISH, status=TaskStatus.QUEUED)
        TaskFactory(type=TaskType.RENDER, status=TaskStatus.QUEUED)
        for status in (PublishStatus.PUBLISHED, PublishStatus.FAILED):
            PublishReceiptFactory(status=status)
    reports = PendingReportFactory.create_batch(3)
    decide(reports[0], moderator, kind="reject", reason="violence", note="x")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(BIG_TABLES))


def explained(run) -> str:
    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                if query["sql"].lstrip().upper().startswith("SELECT"):
                    cursor.execute("EXPLAIN " + query["sql"])
                    plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("RESET enable_seqscan")
    return "\n".join(plans)


def scanned(plan: str) -> list[str]:
    return [
        table
        for table in BIG_TABLES
        if f"Seq Scan on {table}\n" in plan + "\n" or f"Seq Scan on {table} " in plan
    ]


def test_metrics_read_indexes_only(rows, client):
    plan = explained(lambda: client.get("/metrics", headers={"Authorization": "Bearer t"}))

    assert scanned(plan) == []
    # Which index serves the other readings depends on the statistics (at
    # this size any will do; at scale the partial and range indexes named in
    # monitoring/readings.py are the small ones); no sequential scan does not.
    assert "safety_reports_queue_idx" in plan


def test_the_monitor_conditions_read_indexes_only(rows):
    plan = explained(Monitor(interval=0).check_once)

    assert scanned(plan) == []


def test_health_reads_no_big_table(rows, client):
    plan = explained(lambda: client.get("/health/"))

    assert scanned(plan) == []
    assert "safety_reports" not in plan and "tasks" not in plan
