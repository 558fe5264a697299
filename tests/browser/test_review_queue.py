"""Two moderators work the review queue at once in two browsers: each gets a
report of their own, and a rejection with the keyboard reaches the database."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from contentops.roles import MODERATORS
from safety import services
from safety.models import ActionKind, ReviewAction, SafetyReport
from seeding.demo_content import RENDER_WEBM, chime_wav, gradient_png
from tests.factories import ArtifactFactory, PendingReportFactory, PersonaFactory, UserFactory
from videos.models import ArtifactKind, Video, VideoStatus

pytestmark = pytest.mark.browser

REVIEW_URL = re.compile(r"/admin/safety/reviewqueueitem/([0-9a-f-]{36})/review/$")
# Fixed names and keys, so the screenshot only changes when the page does.
WORST_REPORT = uuid.UUID("5a0c3e7d-2f41-4b8e-9d16-7c2e4f8a9b01")
EARLIER_REPORT = uuid.UUID("5a0c3e7d-2f41-4b8e-9d16-7c2e4f8a9b00")
WORST_VIDEO = uuid.UUID("1e9b7c4a-6d2f-4a3b-8c5e-0f1a2b3c4d5e")
SCRIPT = """TEN FACTS ABOUT OCTOPUSES
Persona: Ocean Explainers (calm, slow)

[HOOK 0:00]
Dive in with me. Today: ten facts about octopuses.

[BODY 0:05]
Octopuses have three hearts and blue blood.
Then the diver swings the bat at the tank to make it move.

[OUTRO 0:40]
Follow for the next one.
"""


def media_for(video: Video, s3_media, slug: str, script: str) -> None:
    """Script, render, thumbnail and audio for `video`, all real objects in S3."""
    files = {
        ArtifactKind.SCRIPT: ("script.txt", script.encode()),
        ArtifactKind.RENDER: ("render.webm", RENDER_WEBM.read_bytes()),
        ArtifactKind.THUMBNAIL: ("thumbnail.png", gradient_png(b"\x10\x60\xa0", b"\x90\xe0\xf0")),
        ArtifactKind.AUDIO: ("audio.wav", chime_wav(220.0)),
    }
    for kind, (name, content) in files.items():
        path = s3_media(f"review-queue/{slug}/{name}", content, fixed=True)
        ArtifactFactory(video=video, kind=kind, s3_path=path)


@pytest.fixture
def queue(s3_media):
    """Three reports waiting, worst first: the critical one has a decided earlier report."""
    arrived = timezone.now() - timedelta(minutes=95)
    worst = PendingReportFactory(
        id=WORST_REPORT,
        created_at=arrived,
        score=0.91,
        task__video__id=WORST_VIDEO,
        task__video__title="Ten facts about octopuses",
        task__video__persona=PersonaFactory(
            name="Ocean Explainers",
            tone_profile={"voice": "calm", "pace": "slow", "audience": "families"},
        ),
        issues=[
            {
                "category": "violence",
                "severity": "critical",
                "message": "Someone hits the tank with a bat",
                "evidence": {"artifact": "render", "start": 1.2, "end": 2.8},
                "detector": "frames-v3",
            },
            {
                "category": "animal_welfare",
                "severity": "medium",
                "message": "Distressing treatment of an animal",
                "evidence": {"artifact": "script", "excerpt": "swings the bat at the tank"},
            },
        ],
    )
    others = [
        PendingReportFactory(
            created_at=arrived,
            score=score,
            severity=severity,
            task__video__title=title,
            task__video__persona=worst.task.video.persona,
        )
        for score, severity, title in [
            (0.7, "high", "Deep sea giants"),
            (0.4, "medium", "Why the sea is salty"),
        ]
    ]
    for report in [worst, *others]:
        video = report.task.video
        media_for(video, s3_media, video.title.lower().replace(" ", "-"), SCRIPT)
    earlier = PendingReportFactory(
        id=EARLIER_REPORT,
        created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        score=0.2,
        severity="low",
        task__video=worst.task.video,
    )
    lead = UserFactory(username="lead", groups=[MODERATORS])
    services.decide(
        report_id=earlier.pk, moderator=lead, kind=ActionKind.APPROVE, reason_code="false_positive"
    )
    return [worst, *others]


def pin_clock_text(page: Page) -> None:
    # The lease's end and the log's times come from the clock: pin them, so the
    # screenshot changes only when the page does.
    page.evaluate(
        """() => {
            document.getElementById("lease-until").textContent = "10:50";
            document.querySelectorAll("#review-log td:first-child")
                .forEach((cell) => { cell.textContent = "Nov. 24, 2026, 10:35 a.m."; });
        }"""
    )


def report_on(page: Page) -> uuid.UUID:
    expect(page).to_have_url(REVIEW_URL)
    return uuid.UUID(REVIEW_URL.search(page.url)[1])


def test_two_moderators_review_next_at_once_get_different_reports_and_a_rejection_lands(
    new_context, login, screenshot, queue
):
    worst, *others = queue
    alice = UserFactory(username="alice", groups=[MODERATORS])
    bob = UserFactory(username="bob", groups=[MODERATORS])
    alice_page = login(new_context(), alice)
    bob_page = login(new_context(), bob)
    alice_page.goto("/admin/safety/reviewqueueitem/")
    bob_page.goto("/admin/safety/reviewqueueitem/")
    expect(alice_page.locator("#queue-stats strong")).to_have_text("3")
    expect(alice_page.locator("#result_list tbody tr")).to_have_count(3)

    alice_page.locator("#review-next").click()
    assert report_on(alice_page) == worst.pk
    expect(alice_page.locator("#review")).to_have_attribute("data-holds", "true")
    expect(alice_page.locator("#issues li.issue")).to_have_count(2)
    expect(alice_page.locator("#issues li.issue").first).to_contain_text(
        "Someone hits the tank with a bat"
    )
    expect(alice_page.locator("#issues button.seek[data-start]")).to_have_count(1)
    expect(alice_page.locator("#review-media video")).to_have_count(1)
    expect(alice_page.locator("#script-text")).to_contain_text("Octopuses have three hearts")
    expect(alice_page.locator("#script-text mark")).to_have_text("swings the bat at the tank")
    expect(alice_page.locator("#earlier-reports")).to_contain_text("Approve by lead")
    # The previews load through the permission-checked redirect to S3.
    thumbnail = alice_page.locator("#review-media .media-thumbnail img")
    thumbnail.scroll_into_view_if_needed()
    alice_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    alice_page.wait_for_function(
        "() => document.querySelector('#review-media video').readyState >= 1"
    )
    alice_page.evaluate("window.scrollTo(0, 0)")
    pin_clock_text(alice_page)
    screenshot(alice_page, "review-queue")

    alice_page.keyboard.press("r")
    reason = alice_page.locator("#reason-reject")
    expect(reason).to_be_visible()
    expect(reason).to_be_focused()
    reason.select_option("violence")
    alice_page.locator("#note").fill("A bat against the glass at 0:01; staged, but it teaches it.")
    # Alice's decision hands her the next report while Bob asks for one: the two
    # claims race for the same next-worst report.
    alice_page.locator("#submit-decision").click()
    bob_page.locator("#review-next").click()

    # The message is on the page after the decision; the URL alone would match before it.
    expect(alice_page.locator(".messagelist .success")).to_contain_text(
        "Rejected the report on “Ten facts about octopuses”."
    )
    alice_next, bob_next = report_on(alice_page), report_on(bob_page)
    assert alice_next != bob_next
    assert {alice_next, bob_next} == {report.pk for report in others}
    expect(alice_page.locator("#review")).to_have_attribute("data-holds", "true")
    expect(bob_page.locator("#review")).to_have_attribute("data-holds", "true")

    holders = dict(
        SafetyReport.objects.filter(pk__in=[alice_next, bob_next]).values_list(
            "pk", "claimed_by__username"
        )
    )
    assert holders == {alice_next: "alice", bob_next: "bob"}
    for report in queue:
        claims = ReviewAction.objects.filter(report=report, kind=ActionKind.CLAIM)
        assert claims.count() == 1, f"{report.pk} was claimed {claims.count()} times"
    decision = ReviewAction.objects.get(report=worst, kind=ActionKind.REJECT)
    assert (decision.actor, decision.reason_code, decision.note) == (
        alice,
        "violence",
        "A bat against the glass at 0:01; staged, but it teaches it.",
    )
    assert Video.objects.get(pk=WORST_VIDEO).status == VideoStatus.REJECTED
