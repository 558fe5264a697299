"""A lead opens the dashboard in a real Chromium: every chart is drawn by the
vendored Chart.js, and a chart's link opens the filtered list behind it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contentops.roles import LEADS, MODERATORS
from insights.sampling import sample_queue
from publishing.models import PublishStatus
from safety import services
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


@pytest.fixture
def work():
    """A day of work: reports decided and waiting, tasks, receipts, queue samples."""
    moderator = UserFactory(username="maria", groups=[MODERATORS])
    for n, report in enumerate(PendingReportFactory.create_batch(6)):
        if n < 4:
            services.claim(report_id=report.pk, moderator=moderator)
            services.decide(
                report_id=report.pk,
                moderator=moderator,
                kind="reject" if n % 2 else "escalate",
                reason_code="violence" if n % 2 else "policy_unclear",
                note="Seen in the render.",
            )
    for task_type, status, count in [
        (TaskType.RENDER, TaskStatus.SUCCEEDED, 5),
        (TaskType.RENDER, TaskStatus.FAILED, 2),
        (TaskType.AUDIO, TaskStatus.SUCCEEDED, 4),
        (TaskType.SCRIPT, TaskStatus.QUEUED, 3),
    ]:
        TaskFactory.create_batch(count, type=task_type, status=status)
    VideoFactory.create_batch(3, status=VideoStatus.READY)
    PublishReceiptFactory.create_batch(3, status=PublishStatus.PUBLISHED)
    PublishReceiptFactory.create_batch(2, status=PublishStatus.FAILED, error="HTTP 503: busy")
    now = timezone.now()
    for hours in range(24, -1, -1):
        sample_queue(now=now - timedelta(hours=hours))


def test_a_lead_sees_the_charts_drawn_and_follows_one_to_its_list(
    new_context, login, screenshot, work
):
    lead = UserFactory(username="lead", groups=[LEADS])
    page = login(new_context(), lead)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/admin/")
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/admin/insights/dashboard/$"))
    charts = page.locator("canvas[data-chart]")
    expect(charts).to_have_count(13)
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(13)
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
