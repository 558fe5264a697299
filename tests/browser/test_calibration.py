"""A lead opens the score calibration from the decision log, sees the charts
drawn and the verdict on the bulk limit, follows a category to its rejections
in the log and exports them."""

import pytest
from playwright.sync_api import expect

from contentops.roles import LEADS, MODERATORS
from safety import services
from safety.models import ActionKind
from tests.factories import PendingReportFactory, UserFactory

pytestmark = pytest.mark.browser

# Scores and categories fixed, so the screenshot changes only when the page does.
DECISIONS = [
    (0.02, "violence", ActionKind.APPROVE),
    (0.08, "violence", ActionKind.APPROVE),
    (0.12, "spam", ActionKind.APPROVE),
    (0.18, "violence", ActionKind.APPROVE),
    (0.22, "spam", ActionKind.REJECT),
    (0.28, "violence", ActionKind.APPROVE),
    (0.41, "hate", ActionKind.APPROVE),
    (0.55, "violence", ActionKind.REJECT),
    (0.63, "hate", ActionKind.REJECT),
    (0.77, "spam", ActionKind.REJECT),
    (0.86, "violence", ActionKind.REJECT),
    (0.94, "hate", ActionKind.REJECT),
]


@pytest.fixture
def decided(settings):
    settings.SAFETY_BULK_APPROVE_MAX_SCORE = 0.3
    moderator = UserFactory(username="mia", groups=[MODERATORS])
    for score, category, kind in DECISIONS:
        report = PendingReportFactory(score=score, category=category)
        services.decide(
            report_id=report.pk,
            moderator=moderator,
            kind=kind,
            reason_code="hate" if kind == ActionKind.REJECT else "no_violation",
            note="Seen in the render.",
        )


def test_a_lead_reads_the_calibration_and_follows_a_category_to_its_rejections(
    new_context, login, screenshot, decided
):
    lead = UserFactory(username="lena", groups=[LEADS])
    page = login(new_context(), lead)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/admin/")
    page.get_by_role("link", name="Decision log").click()
    page.get_by_role("link", name="Score calibration").click()

    expect(page.locator("#limit-verdict")).to_contain_text(
        "unsafe: 1 of 6 reports scored ≤ 0.3 were rejected"
    )
    # Each canvas holds a chart once the deferred scripts have run.
    for canvas in ("#reliability-chart", "#limits-chart"):
        page.wait_for_function(
            f"""() => typeof Chart !== "undefined"
                && Chart.getChart(document.querySelector("{canvas}")) !== undefined"""
        )
    spam = page.locator("#calibration-categories tbody tr", has_text="spam")
    expect(spam).to_contain_text("Do not trust: 1 rejected at or below the bulk limit 0.3")
    screenshot(page, "calibration")
    assert errors == []

    spam.get_by_role("link", name="2", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these decisions as CSV").click()
    lines = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
    assert len(lines) == 3
    assert all(",reject," in line for line in lines[1:])
