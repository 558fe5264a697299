import uuid

import pytest
from playwright.sync_api import Page, expect

from contentops.roles import EDITORS
from tests.factories import UserFactory, VideoFactory
from videos.models import Video, VideoStatus

pytestmark = pytest.mark.browser


def open_change_page(page: Page, video: Video) -> None:
    page.goto(f"/admin/videos/video/{video.pk}/change/")
    expect(page.get_by_label("Title")).to_have_value(video.title)


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()


def test_second_editor_saving_a_stale_video_sees_the_conflict_and_can_save_deliberately(
    new_context, login, screenshot
):
    alice = UserFactory(username="alice", groups=[EDITORS])
    bob = UserFactory(username="bob", groups=[EDITORS])
    # Fixed names and key, so the screenshot only changes when the page does.
    video = VideoFactory(
        id=uuid.UUID("0c7f5e2a-4b1d-4e8a-9f3c-2d6b8a1e5f40"),
        persona__name="Ocean Explainers",
        title="Ten facts about octopuses",
        status=VideoStatus.DRAFT,
    )
    alice_page = login(new_context(), alice)
    bob_page = login(new_context(), bob)
    open_change_page(alice_page, video)
    open_change_page(bob_page, video)

    alice_page.get_by_label("Title").fill("Ten surprising facts about octopuses")
    save(alice_page)
    expect(alice_page.locator(".messagelist .success")).to_contain_text("was changed successfully")

    bob_page.get_by_label("Title").fill("Octopuses: ten facts")
    save(bob_page)

    conflict = bob_page.locator("#version-conflict")
    expect(conflict).to_contain_text("Changed by someone else while you were editing")
    expect(conflict.locator("tbody tr")).to_have_count(1)
    title_row = conflict.locator("tbody tr", has_text="Title")
    expect(title_row.locator(".conflict-database")).to_have_text(
        "Ten surprising facts about octopuses"
    )
    expect(title_row.locator(".conflict-yours")).to_have_text("Octopuses: ten facts")
    expect(bob_page.locator(".errorlist.nonfield")).to_contain_text(
        "was changed by someone else (you loaded version 0, the database now holds version 1)"
    )
    expect(bob_page.get_by_label("Title")).to_have_value("Octopuses: ten facts")
    screenshot(bob_page, "video-conflict")

    video.refresh_from_db()
    assert (video.title, video.status, video.state_version) == (
        "Ten surprising facts about octopuses",
        VideoStatus.DRAFT,
        1,
    )

    save(bob_page)
    expect(bob_page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    video.refresh_from_db()
    assert (video.title, video.status, video.state_version) == (
        "Octopuses: ten facts",
        VideoStatus.DRAFT,
        2,
    )
