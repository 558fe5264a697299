"""A staff viewer finds one persona's renders in the gallery and plays one, in
Chromium, with the media served by the real S3 through presigned URLs."""

import uuid
from datetime import UTC, datetime, timedelta

import pghistory
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import Page, expect

from contentops.roles import EDITORS, STAFF_VIEWERS
from seeding.demo_content import RENDER_WEBM, chime_wav, gradient_png
from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from tests.helpers import closed_port
from videos.models import ArtifactKind, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.browser

# Fixed names, keys and times, so the screenshots change only when the pages do.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PERSONAS = {
    "nova": ("Nova Reyes", "5b7e2c1a-0f64-4c3e-9a1d-2f8b6c4e7a10"),
    "marco": ("Marco Bellini", "9c2d4e6f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"),
}
VIDEOS = [
    ("nova", "How noise-cancelling headphones cheat physics", VideoStatus.DRAFT),
    ("marco", "Cast-iron care myths, tested", VideoStatus.READY),
    ("nova", "The physics of a perfect skipping stone", VideoStatus.IN_REVIEW),
]
MEDIA = {
    ArtifactKind.SCRIPT: ("txt", "text/plain; charset=utf-8"),
    ArtifactKind.AUDIO: ("wav", "audio/wav"),
    ArtifactKind.RENDER: ("webm", "video/webm"),
    ArtifactKind.THUMBNAIL: ("png", "image/png"),
}
COLOURS = {"nova": (b"\x1f\x4e\x8c", b"\x7f\xd1\xe8"), "marco": (b"\x8c\x2f\x1f", b"\xf2\xb0\x4a")}


def content(persona: str, title: str, kind: str) -> bytes:
    if kind == ArtifactKind.SCRIPT:
        return f"{title.upper()}\n\n[HOOK 0:00]\nToday: {title}.\n".encode()
    if kind == ArtifactKind.AUDIO:
        return chime_wav(440.0)
    if kind == ArtifactKind.THUMBNAIL:
        return gradient_png(*COLOURS[persona], phase=len(title))
    return RENDER_WEBM.read_bytes()


@pytest.fixture
def catalogue(transactional_db):
    """Three videos of two personas, each with its four artifacts in S3."""
    keys = []
    videos = []
    personas = {
        slug: PersonaFactory(id=uuid.UUID(key), name=name) for slug, (name, key) in PERSONAS.items()
    }
    for number, (persona_slug, title, status) in enumerate(VIDEOS):
        video = VideoFactory(
            id=uuid.uuid5(uuid.NAMESPACE_URL, title),
            persona=personas[persona_slug],
            title=title,
            status=status,
            created_at=START + timedelta(days=number),
        )
        videos.append(video)
        for step, kind in enumerate(MEDIA):
            extension, content_type = MEDIA[kind]
            key = f"tests/browser/{video.pk}/{kind}.{extension}"
            file = ContentFile(content(persona_slug, title, kind))
            file.content_type = content_type
            keys.append(default_storage.save(key, file))
            at = video.created_at + timedelta(minutes=10 * step)
            ArtifactFactory(
                id=uuid.uuid5(video.pk, kind),
                video=video,
                kind=kind,
                s3_path=f"s3://{default_storage.bucket_name}/{key}",
                created_at=at,
            )
            TaskFactory(
                video=video,
                type=kind,
                status=TaskStatus.SUCCEEDED,
                created_at=at - timedelta(minutes=4),
                payload={
                    "started_at": (at - timedelta(minutes=4)).isoformat(),
                    "finished_at": (at - timedelta(seconds=17 * (step + 1))).isoformat(),
                },
            )
    yield videos
    for key in keys:
        default_storage.delete(key)


def settle_media(page: Page) -> None:
    """Every image decoded, every player showing the same frame, run after run."""
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"
    )
    page.evaluate(
        """() => Promise.all([...document.querySelectorAll('video')].map(video =>
            new Promise(seeked => {
                video.addEventListener('seeked', seeked, {once: true});
                video.currentTime = 1;
            })))"""
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('video, audio')].every(m => m.readyState >= 2)"
    )
    # The players' own controls fade after a seek; screenshots wait until they rest.
    page.mouse.move(0, 0)
    page.wait_for_timeout(1500)


def filter_to_persona_renders(page: Page, persona_name: str) -> None:
    page.get_by_label("Kind").select_option("render")
    page.locator(".gallery-filter-persona .select2-selection").click()
    page.locator(".select2-search__field").fill(persona_name.split()[0])
    page.locator(".select2-results__option", has_text=persona_name).click()
    page.get_by_role("button", name="Filter").click()


def test_a_viewer_filters_the_gallery_to_a_personas_renders_and_plays_one(
    new_context, login, screenshot, catalogue
):
    viewer = UserFactory(username="viewer", groups=[STAFF_VIEWERS])
    page = login(new_context(), viewer)
    page.goto("/admin/videos/artifact/gallery/")
    expect(page.locator(".artifact-card")).to_have_count(12)

    filter_to_persona_renders(page, "Nova Reyes")

    cards = page.locator(".artifact-card")
    expect(cards).to_have_count(2)
    for card in cards.all():
        expect(card).to_have_attribute("data-kind", "render")
        expect(card.locator(".artifact-card-persona")).to_have_text("Nova Reyes")
        expect(card.locator(".artifact-card-file")).to_contain_text("video/webm")
    # Newest first.
    expect(cards.first.locator(".artifact-card-video")).to_have_text(VIDEOS[2][1])
    assert "kind=render" in page.url and "persona=" in page.url
    page.reload()
    settle_media(page)
    screenshot(page, "artifact-gallery")

    cards.first.get_by_role("link", name="Render").click()
    expect(page.locator("h1")).to_have_text("View artifact")
    player = page.locator("#artifact-preview video[data-artifact]")
    expect(player).to_have_attribute("preload", "metadata")
    # A person's click on the page lets it start sound, as the play button would.
    page.locator("h1").click()
    player.evaluate("video => video.play()")

    page.wait_for_function(
        "() => document.querySelector('#artifact-preview video').currentTime > 0.5"
    )
    assert player.evaluate("video => video.paused") is False
    # Seeking asks S3 for a byte range of the file.
    player.evaluate("video => { video.pause(); video.currentTime = 2.5; }")
    page.wait_for_function(
        "() => { const v = document.querySelector('#artifact-preview video');"
        " return !v.seeking && v.currentTime >= 2.5; }"
    )


def test_the_gallery_tells_what_s3_holds_once_the_page_is_shown(new_context, login, catalogue):
    gone = ArtifactFactory(
        video=catalogue[0],
        kind=ArtifactKind.THUMBNAIL,
        s3_path=f"s3://{default_storage.bucket_name}/tests/browser/{uuid.uuid4()}/gone.png",
        created_at=START + timedelta(days=9),
    )
    page = login(new_context(), UserFactory(username="viewer", groups=[STAFF_VIEWERS]))
    cache.clear()  # no process has asked S3 about these files lately

    with page.expect_response(lambda r: "/artifact/gallery/files/?id=" in r.url) as asked:
        page.goto("/admin/videos/artifact/gallery/")

    assert asked.value.status == 200
    missing = page.locator(f'.artifact-card[data-artifact="{gone.pk}"]')
    expect(missing).to_have_attribute("data-file-state", "missing")
    expect(missing.locator(".artifact-missing")).to_contain_text("Missing in S3")
    expect(missing.locator("img")).to_have_count(0)
    expect(page.locator('.artifact-card[data-file-state="ok"]')).to_have_count(12)
    renders = page.locator('.artifact-card[data-kind="render"] .artifact-card-file')
    expect(renders.first).to_contain_text("video/webm")
    script = page.locator('.artifact-card[data-kind="script"]').first
    expect(script.locator("pre.artifact-script")).to_contain_text("[HOOK 0:00]")
    expect(page.locator("#storage-warning")).to_have_count(0)


@pytest.fixture
def s3_stopped(storage_options):
    """The app's S3 endpoint points at a port nothing listens on, as when S3 is stopped."""
    dead = f"http://127.0.0.1:{closed_port()}"
    storage_options("default", endpoint_url=dead)
    return dead


def test_the_gallery_warns_when_s3_does_not_answer_about_its_files(
    new_context, login, transactional_db, s3_stopped
):
    for kind in (ArtifactKind.THUMBNAIL, ArtifactKind.SCRIPT, ArtifactKind.AUDIO):
        ArtifactFactory(
            kind=kind, s3_path=f"s3://{default_storage.bucket_name}/tests/browser/{kind}"
        )
    page = login(new_context(), UserFactory(username="viewer", groups=[STAFF_VIEWERS]))
    cache.clear()

    page.goto("/admin/videos/artifact/gallery/")

    expect(page.locator("#storage-warning")).to_contain_text(f"S3 at {s3_stopped} is unavailable")
    expect(page.locator('.artifact-card[data-file-state="unknown"]')).to_have_count(3)
    expect(page.locator(".artifact-unknown")).to_have_count(3)


def test_the_timeline_follows_a_video_through_its_life(new_context, login, screenshot, catalogue):
    editor = UserFactory(username="editor", groups=[EDITORS])
    viewer = UserFactory(username="viewer", groups=[STAFF_VIEWERS])
    video = catalogue[0]
    done = video.created_at + timedelta(hours=1)
    check = TaskFactory(
        video=video,
        type=TaskType.SAFETY_CHECK,
        status=TaskStatus.SUCCEEDED,
        created_at=done,
        payload={
            "started_at": done.isoformat(),
            "finished_at": (done + timedelta(seconds=48)).isoformat(),
        },
    )
    SafetyReportFactory(
        id=uuid.uuid5(video.pk, "safety report"),
        task=check,
        score=0.18,
        created_at=done + timedelta(minutes=1),
        issues=[{"category": "language", "severity": "low", "message": "One mild exclamation."}],
    )
    PublishReceiptFactory(
        video=video,
        channel="youtube",
        status="published",
        remote_id="yt-8fK2",
        timestamp=done + timedelta(days=1),
    )
    with pghistory.context(user=editor.pk, url="/admin/"):
        for status in [
            VideoStatus.PRODUCING,
            VideoStatus.IN_REVIEW,
            VideoStatus.READY,
            VideoStatus.APPROVED,
            VideoStatus.PUBLISHED,
        ]:
            video.status = status
            video.published_at = (
                done + timedelta(days=1) if status == VideoStatus.PUBLISHED else None
            )
            video.save()
    pin_history_times(video)
    page = login(new_context(), viewer)
    page.goto("/admin/videos/artifact/gallery/")

    page.get_by_role("link", name=video.title).first.click()

    expect(page.locator("h1")).to_have_text(f"Timeline of {video.title}")
    expect(page.locator("#status-history tbody tr")).to_have_count(6)
    expect(page.locator("#status-history tbody tr").last).to_contain_text("Approved → Published")
    expect(page.locator("#status-history tbody tr").last).to_contain_text("editor")
    expect(page.locator("#tasks tbody tr")).to_have_count(5)
    expect(page.locator("#tasks .task-duration").last).to_have_text("48 s")
    expect(page.locator("#artifacts .artifact-card")).to_have_count(4)
    expect(page.locator("#artifacts audio[data-artifact]")).to_have_count(1)
    expect(page.locator("#safety-reports")).to_contain_text("language (low): One mild exclamation.")
    expect(page.locator("#publish-receipts")).to_contain_text("yt-8fK2")
    settle_media(page)
    screenshot(page, "video-timeline")


def pin_history_times(video: Video) -> None:
    """Give the video's recorded events fixed times: the database clock stamps
    history, which would change the screenshot on every run."""
    events = Video.pgh_event_model.objects.filter(pgh_obj_id=video.pk).order_by("pgh_id")
    for number, pk in enumerate(events.values_list("pk", flat=True)):
        when = video.created_at + timedelta(hours=2 * number, minutes=5)
        Video.pgh_event_model.objects.filter(pk=pk).update(pgh_created_at=when)
