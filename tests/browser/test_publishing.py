"""An editor approves a ready video for two channels in the browser, the
publish worker runs, and the receipts show it published."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from contentops.roles import EDITORS, MODERATORS
from publishing import channels
from publishing.models import PublishReceipt, PublishStatus
from publishing.worker import Worker
from safety import services as safety_services
from seeding.demo_content import RENDER_WEBM, gradient_png
from tests.factories import ArtifactFactory, PendingReportFactory, PersonaFactory, UserFactory
from tests.helpers import SCRIPT, grant_channels
from videos.models import ArtifactKind, Video, VideoStatus

pytestmark = pytest.mark.browser

# Fixed names and keys, so the screenshot only changes when the page does.
VIDEO = uuid.UUID("3d1c9a5e-7b2f-4c8d-a6e1-5f9b0c2d4e71")
REPORT = uuid.UUID("3d1c9a5e-7b2f-4c8d-a6e1-5f9b0c2d4e72")
RECEIPTS_URL = re.compile(r"/admin/publishing/publishreceipt/\?q=" + str(VIDEO) + "$")


@pytest.fixture
def three_channels(settings, tmp_path):
    settings.PUBLISH_CHANNELS = {
        name: {"adapter": "local", "label": label, "folder": str(tmp_path / name)}
        for name, label in [("youtube", "YouTube"), ("tiktok", "TikTok"), ("vimeo", "Vimeo")]
    }
    channels.sync_permissions()
    return tmp_path


@pytest.fixture
def cleared_video(s3_media):
    """A video a moderator cleared after a human look, with its files in S3."""
    report = PendingReportFactory(
        id=REPORT,
        created_at=datetime(2026, 11, 20, 9, 15, tzinfo=UTC),
        score=0.42,
        issues=[{"category": "animal_welfare", "severity": "medium", "message": "A diver"}],
        task__video__id=VIDEO,
        task__video__title="Ten facts about octopuses",
        task__video__persona=PersonaFactory(name="Ocean Explainers"),
    )
    files = {
        ArtifactKind.RENDER: ("render.webm", RENDER_WEBM.read_bytes()),
        ArtifactKind.THUMBNAIL: ("thumbnail.png", gradient_png(b"\x10\x60\xa0", b"\x90\xe0\xf0")),
        ArtifactKind.SCRIPT: ("script.txt", SCRIPT),
    }
    for number, (kind, (name, content)) in enumerate(files.items()):
        path = s3_media(f"publishing/octopuses/{name}", content, fixed=True)
        artifact_id = uuid.UUID(int=VIDEO.int + 16 + number)
        ArtifactFactory(id=artifact_id, video=report.task.video, kind=kind, s3_path=path)
    safety_services.decide(
        report_id=report.pk,
        moderator=UserFactory(username="mia", groups=[MODERATORS]),
        kind="approve",
        reason_code="acceptable_in_context",
    )
    assert Video.objects.get(pk=VIDEO).status == VideoStatus.READY
    return report.task.video


def test_an_editor_approves_for_two_channels_and_the_worker_publishes_them(
    new_context, login, screenshot, three_channels, cleared_video
):
    editor = grant_channels(UserFactory(username="erin", groups=[EDITORS]), "youtube", "tiktok")
    page = login(new_context(), editor)
    page.goto("/admin/")
    page.get_by_role("link", name="Ready to publish").click()
    row = page.locator("#result_list tbody tr", has_text="Ten facts about octopuses")
    row.get_by_role("link", name="Approve…").click()

    expect(page.locator("h1")).to_contain_text("Approve for publishing: Ten facts about octopuses")
    expect(page.locator("#safety-summary")).to_contain_text("Approved by mia")
    expect(page.locator("#outgoing-files tbody tr")).to_have_count(3)
    expect(page.locator("#not-allowed")).to_contain_text("Vimeo")
    expect(page.locator("img.thumbnail")).to_have_js_property("complete", True)
    page.get_by_label("YouTube").check()
    page.get_by_label("TikTok").check()
    expect(page.get_by_label("Publish now")).to_be_checked()
    screenshot(page, "publish")

    page.get_by_role("button", name="Approve for publishing").click()
    expect(page).to_have_url(RECEIPTS_URL)
    expect(page.locator(".messagelist .success")).to_contain_text(
        "Approved “Ten facts about octopuses” for YouTube and TikTok: publishing now."
    )
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="pending")).to_have_count(2)

    assert Worker(name="browser-test", poll=0).run(once=True) == 2

    page.reload()
    expect(rows.filter(has_text="published")).to_have_count(2)
    receipts = PublishReceipt.objects.filter(video_id=VIDEO)
    assert sorted(receipts.values_list("channel", "status")) == [
        ("tiktok", PublishStatus.PUBLISHED),
        ("youtube", PublishStatus.PUBLISHED),
    ]
    for receipt in receipts:
        assert (three_channels / receipt.channel / f"{receipt.pk}.json").exists()
    assert Video.objects.get(pk=VIDEO).status == VideoStatus.PUBLISHED
