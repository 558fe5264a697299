"""Chromium enforces our Content-Security-Policy and reports nothing blocked
while moderators and staff work: the review page and the gallery play their
media from S3 (through presigned URLs) and run their scripts; an inline
script or style slipped into a page is refused and reported."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Page, expect

from contentops.roles import MODERATORS, STAFF_VIEWERS
from publishing import channels
from seeding.demo_content import RENDER_WEBM, chime_wav, gradient_png
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    SafetyReportFactory,
    UserFactory,
    VideoFactory,
)
from tests.helpers import local_channel_config
from videos.models import ArtifactKind, VideoStatus

pytestmark = pytest.mark.browser

# Runs in every document before its own scripts: what the browser reports,
# in the order it reports it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    disposition: event.disposition,
  });
});
"""
MEDIA = {
    ArtifactKind.RENDER: ("render.webm", RENDER_WEBM.read_bytes()),
    ArtifactKind.AUDIO: ("audio.wav", chime_wav(330.0)),
    ArtifactKind.THUMBNAIL: ("thumbnail.png", gradient_png(b"\x10\x60\xa0", b"\x90\xe0\xf0")),
    ArtifactKind.SCRIPT: ("script.txt", b"[HOOK 0:00]\nThe bat swings at the tank.\n"),
}
# What Chromium says on the console about a policy it refused or could not read.
POLICY_COMPLAINT = re.compile(r"Content.Security.Policy|Permissions.Policy|Refused to", re.I)


@pytest.fixture
def report(transactional_db, s3_media):
    """A report waiting for a moderator, its video's four files in S3."""
    report = PendingReportFactory(
        issues=[
            {
                "category": "violence",
                "severity": "high",
                "message": "The bat swings at the tank",
                "evidence": {"artifact": "render", "start": 0.5, "end": 2.0},
            }
        ]
    )
    for kind, (name, content) in MEDIA.items():
        ArtifactFactory(video=report.task.video, kind=kind, s3_path=s3_media(name, content))
    return report


class Watched:
    """A browser context that records policy violations and console complaints
    in each of its pages, and the responses S3 sent it."""

    def __init__(self, context: BrowserContext):
        self.context = context
        self.complaints: list[str] = []
        self.from_s3: list[tuple[str, int]] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("console", self._console)
        context.on("response", self._response)

    def _console(self, message):
        if POLICY_COMPLAINT.search(message.text):
            self.complaints.append(message.text)

    def _response(self, response):
        if response.url.startswith(settings.S3_BROWSER_SOURCE):
            self.from_s3.append((urlsplit(response.url).path.rsplit("/", 1)[-1], response.status))


@pytest.fixture
def watched(new_context) -> Watched:
    return Watched(new_context())


def violations(page: Page) -> list[dict]:
    return page.evaluate("() => window.cspViolations")


def play(page: Page, selector: str) -> None:
    """Play the media element until its clock moves, with a person's click first
    (browsers let only a page the person touched start sound)."""
    page.locator("h1").click()
    page.locator(selector).evaluate("media => media.play()")
    page.wait_for_function(
        "selector => document.querySelector(selector).currentTime > 0.2", arg=selector
    )


def test_the_review_page_plays_its_media_from_s3_with_nothing_reported(
    watched, login, report, settings
):
    # Renewed every second, so the page's own fetch happens during the test.
    settings.SAFETY_LEASE_RENEW_SECONDS = 1
    moderator = UserFactory(username="moderator", groups=[MODERATORS])
    page = login(watched.context, moderator)
    page.goto("/admin/safety/reviewqueueitem/")

    with page.expect_response(re.compile(r"/renew/$")) as renewal:
        page.locator("#review-next").click()
    assert renewal.value.ok
    expect(page.locator("#review")).to_have_attribute("data-holds", "true")
    thumbnail = page.locator("#review-media .media-thumbnail img")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    # The evidence button seeks the render to its start and plays it (review.js).
    page.locator("#issues button.seek[data-start]").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('#review-media video');"
        " return !v.paused && v.currentTime > 0.7; }"
    )
    play(page, "#review-media audio")

    assert violations(page) == []
    assert watched.complaints == []
    fetched = {name for name, status in watched.from_s3 if status in (200, 206)}
    assert {"render.webm", "audio.wav", "thumbnail.png"} <= fetched


def test_the_gallery_filters_and_plays_its_media_from_s3_with_nothing_reported(
    watched, login, report
):
    viewer = UserFactory(username="viewer", groups=[STAFF_VIEWERS])
    page = login(watched.context, viewer)
    page.goto("/admin/videos/artifact/gallery/")
    expect(page.locator(".artifact-card")).to_have_count(4)

    # The persona filter is the admin's autocomplete (jQuery and select2).
    page.locator(".gallery-filter-persona .select2-selection").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"
    )
    play(page, ".artifact-card video")
    play(page, ".artifact-card audio")

    assert violations(page) == []
    assert watched.complaints == []
    fetched = {name for name, status in watched.from_s3 if status in (200, 206)}
    assert {"render.webm", "audio.wav", "thumbnail.png"} <= fetched


def test_an_inline_script_or_style_slipped_into_a_page_is_refused_and_reported(
    watched, login, report
):
    viewer = UserFactory(username="viewer", groups=[STAFF_VIEWERS])
    page = login(watched.context, viewer)
    page.goto("/admin/videos/artifact/gallery/")
    expect(page.locator(".artifact-card")).to_have_count(4)

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injectedScriptRan = true;";
            document.body.append(script);
            const style = document.createElement("style");
            style.textContent = "h1 { color: rgb(255, 0, 0); }";
            document.head.append(style);
            document.querySelector("#content").setAttribute("style", "color: rgb(0, 255, 0)");
        }"""
    )
    page.wait_for_function("() => window.cspViolations.length >= 3")

    assert [v["directive"] for v in violations(page)] == [
        "script-src-elem",
        "style-src-elem",
        "style-src-attr",
    ]
    assert {v["blocked"] for v in violations(page)} == {"inline"}
    assert {v["disposition"] for v in violations(page)} == {"enforce"}
    assert page.evaluate("() => window.injectedScriptRan") is None
    assert page.locator("h1").evaluate("h1 => getComputedStyle(h1).color") != "rgb(255, 0, 0)"
    color = page.locator("#content").evaluate("node => getComputedStyle(node).color")
    assert color != "rgb(0, 255, 0)"


def test_the_admins_own_pages_and_widgets_run_with_nothing_reported(
    watched, login, report, settings, tmp_path, s3_media
):
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    channels.sync_permissions()
    ready = VideoFactory(status=VideoStatus.READY)
    for kind, (name, content) in MEDIA.items():
        ArtifactFactory(video=ready, kind=kind, s3_path=s3_media(name, content))
    SafetyReportFactory(task__video=ready, requires_human_review=False, score=0.1)
    admin = UserFactory(username="admin", is_superuser=True)
    page = watched.context.new_page()
    reported = {}

    page.goto("/admin/login/")
    reported["login"] = violations(page)
    login(page, admin)
    page.goto("/admin/videos/video/")
    page.locator("#result_list tbody tr").first.locator("input.action-select").check()
    reported["list"] = violations(page)
    page.goto(f"/admin/videos/video/{ready.pk}/change/")
    # The persona field is the admin's autocomplete (jQuery and select2).
    page.locator(".field-persona .select2-selection").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    reported["change form"] = violations(page)
    page.goto(f"/admin/publishing/readyvideo/{ready.pk}/approve/")
    expect(page.locator("img.thumbnail")).to_have_js_property("complete", True)
    reported["approve"] = violations(page)

    assert reported == {"login": [], "list": [], "change form": [], "approve": []}
    assert watched.complaints == []
