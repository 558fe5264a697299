"""A moderator works a QA sample with the keyboard: Review next from the QA
queue, a blind page, a rejection chosen with `r`, and the disagreement lands
with a lead."""

import re

import pytest
from playwright.sync_api import expect

from contentops.roles import MODERATORS
from safety.models import QAAction, QASample, QAStatus
from tests.factories import PersonaFactory, UserFactory, VideoFactory
from tests.helpers import decide, pending
from videos.models import VideoStatus

pytestmark = pytest.mark.browser

QA_PAGE = re.compile(r"/admin/safety/qasample/(\d+)/review/$")


def test_a_moderator_works_a_qa_sample_with_the_keyboard(new_context, login, screenshot, settings):
    settings.SAFETY_QA_SAMPLE_RATE = 1.0
    first = UserFactory(username="first-decider", groups=[MODERATORS])
    second = UserFactory(username="carol", groups=[MODERATORS])
    video = VideoFactory(
        title="Ten facts about octopuses",
        status=VideoStatus.IN_REVIEW,
        persona=PersonaFactory(name="Ocean Explainers"),
    )
    report = pending(
        task__video=video,
        issues=[{"category": "violence", "severity": "high", "message": "A bat hits the tank"}],
    )
    decide(report, first, "approve", "acceptable_in_context", "Staged, nobody hurt")
    sample = QASample.objects.get(report=report)

    page = login(new_context(), second)
    page.goto("/admin/safety/qasample/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.keyboard.press("n")
    page.wait_for_url(QA_PAGE)
    assert int(QA_PAGE.search(page.url)[1]) == sample.pk
    expect(page.locator("#review")).to_have_attribute("data-holds", "true")
    expect(page.locator("#issues")).to_contain_text("A bat hits the tank")
    # Blind: nothing of the first decision.
    for hidden in ("first-decider", "Staged, nobody hurt", "approved"):
        expect(page.locator("body")).not_to_contain_text(hidden)
    expect(page.locator("#qa-verdicts")).to_have_count(0)
    # The lease's end comes from the clock: pinned, so the screenshot changes
    # only when the page does.
    page.evaluate('() => { document.getElementById("lease-until").textContent = "10:50"; }')
    screenshot(page, "qa-review")

    page.keyboard.press("r")
    reason = page.locator("#reason-reject")
    expect(reason).to_be_visible()
    expect(reason).to_be_focused()
    reason.select_option("violence")
    page.locator("#note").fill("The bat swing is shown in full; it teaches it.")
    page.locator("#submit-decision").press("Enter")

    expect(page.locator(".messagelist")).to_contain_text("Second review recorded.")
    sample.refresh_from_db()
    assert sample.status == QAStatus.DISPUTED
    verdict = QAAction.objects.get(sample=sample, kind="reject")
    assert (verdict.actor, verdict.reason_code) == (second, "violence")
