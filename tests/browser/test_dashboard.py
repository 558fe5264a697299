"""A lead opens the dashboard in a real Chromium: every chart is drawn by the
vendored Chart.js, and a chart's link opens the filtered list behind it."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from contentops.roles import LEADS, MODERATORS
from insights.sampling import sample_queue
from safety import qa, services
from safety.models import QASample
from tests.factories import (
    PendingReportFactory,
    PublishReceiptFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from videos.models import TaskStatus, TaskType, VideoStatus

pytestmark = pytest.mark.browser

# Whether a canvas has any pixel drawn on it.
DRAWN = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}"""


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def decide(report, moderator, n: int) -> None:
    services.claim(report_id=report.pk, moderator=moderator)
    services.decide(
        report_id=report.pk,
        moderator=moderator,
        kind="reject" if n % 3 else "escalate",
        reason_code="violence" if n % 3 else "policy_unclear",
        note="Seen in the render.",
    )


def queue_over_a_day_and_a_half(moderator) -> None:
    """Reports arrive every 4 hours and are decided now and then; the worker's
    sweep samples the queue each hour."""
    now = timezone.now()
    waiting, decided = [], 0
    for hours in range(36, -1, -1):
        at = now - timedelta(hours=hours)
        if hours % 4 == 0:
            waiting.append(PendingReportFactory(created_at=at))
        if hours % 7 == 0 and waiting:
            decided += 1
            decide(waiting.pop(0), moderator, decided)
        sample_queue(now=at)


def pipeline_finishing_tasks() -> None:
    """Tasks the pipeline finishes by plain SQL, minutes after creating them."""
    for task_type, count, minutes in [
        (TaskType.SCRIPT, 4, 2),
        (TaskType.AUDIO, 4, 6),
        (TaskType.RENDER, 7, 25),
    ]:
        TaskFactory.create_batch(count, type=task_type, status=TaskStatus.RUNNING)
        sql(
            "UPDATE tasks SET created_at = now() - interval '1 minute' * %s * (1 + random())"
            " WHERE type = %s",
            [minutes, task_type],
        )
    sql("UPDATE tasks SET status = 'succeeded' WHERE status = 'running'")
    sql(
        "UPDATE tasks SET status = 'failed' WHERE task_id IN "
        "(SELECT task_id FROM tasks WHERE type = 'render' ORDER BY task_id LIMIT 2)"
    )
    TaskFactory.create_batch(3, type=TaskType.THUMBNAIL, status=TaskStatus.QUEUED)


def publishes() -> None:
    """Approved an hour or so ago; the worker published most, a channel refused two."""
    for n, channel in enumerate(["youtube", "youtube", "youtube", "tiktok", "tiktok"]):
        task = TaskFactory(type=TaskType.PUBLISH, status=TaskStatus.RUNNING)
        sql(
            "UPDATE tasks SET created_at = now() - interval '1 minute' * %s WHERE task_id = %s",
            [30 + 20 * n, task.pk],
        )
        PublishReceiptFactory(video=task.video, task=task, channel=channel)
    sql(
        "UPDATE publish_receipts SET status = 'published', remote_id = 'remote'"
        " WHERE channel = 'youtube'"
    )
    sql(
        "UPDATE publish_receipts SET status = 'failed', error = 'HTTP 503: busy'"
        " WHERE channel = 'tiktok'"
    )


# The Content-Security-Policy of issue 12: no inline script or style anywhere.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'"
)


def with_policy(route) -> None:
    """Serve the page under the policy; what it refuses is a console error."""
    response = route.fetch()
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": POLICY}
    )


def second_reviews() -> None:
    """Another moderator second-reviews what QA drew of maria's decisions,
    agreeing with all but one."""
    reviewer = UserFactory(username="omar", groups=[MODERATORS])
    for n, sample in enumerate(QASample.objects.order_by("pk")):
        qa.claim(sample_id=sample.pk, reviewer=reviewer)
        disagree = n == 0
        qa.review(
            sample_id=sample.pk,
            reviewer=reviewer,
            kind="approve" if disagree else "reject",
            reason_code="no_violation" if disagree else "violence",
            note="" if disagree else "Seen in the render.",
        )


@pytest.fixture
def work(settings):
    settings.SAFETY_QA_SAMPLE_RATE = 1  # every final decision goes to QA
    moderator = UserFactory(username="maria", groups=[MODERATORS])
    queue_over_a_day_and_a_half(moderator)
    second_reviews()
    pipeline_finishing_tasks()
    publishes()
    VideoFactory.create_batch(3, status=VideoStatus.READY)


def test_a_lead_sees_the_charts_drawn_and_follows_one_to_its_list(
    new_context, login, screenshot, work
):
    lead = UserFactory(username="lead", groups=[LEADS])
    page = login(new_context(), lead)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.route("**/admin/insights/dashboard/", with_policy)
    page.goto("/admin/")
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/admin/insights/dashboard/$"))
    charts = page.locator("canvas[data-chart]")
    expect(charts).to_have_count(17)
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(17)
    for n in range(charts.count()):
        assert charts.nth(n).evaluate(DRAWN), f"chart {n} is blank"
    assert errors == []
    screenshot(page, "dashboard")

    chart = page.locator("#chart-task-failure-rate")
    chart.get_by_text("Numbers").click()
    expect(chart.locator("tbody tr", has_text="render")).to_contain_text("28.6")
    chart.get_by_role("link", name="Failed tasks").click()
    expect(page).to_have_url(re.compile(r"/admin/videos/task/\?status__exact=failed$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
