"""The one way to add a custom admin page (core.admin_pages): each page listed
on its ModelAdmin is named admin:<app>_<model>_<name>, keeps its path, and is
served through the site's admin_view (the login page for anyone not signed in)."""

import uuid

import pytest
from django.contrib import admin
from django.urls import reverse

from contentops.timeline import add_timeline_page, timeline_page
from core.admin_pages import page_context
from videos.admin import VideoAdmin
from videos.models import Video

pytestmark = pytest.mark.django_db

KEY = uuid.UUID(int=1)
# Every custom page, by the name its links and the permission matrix use, and its path.
PAGES = {
    ("videos_artifact_gallery", ()): "/admin/videos/artifact/gallery/",
    ("videos_artifact_gallery_files", ()): "/admin/videos/artifact/gallery/files/",
    ("videos_artifact_content", (KEY,)): f"/admin/videos/artifact/{KEY}/content/",
    ("videos_artifact_upload", (KEY,)): f"/admin/videos/artifact/{KEY}/upload/",
    ("videos_video_timeline", (KEY,)): f"/admin/videos/video/{KEY}/timeline/",
    ("safety_reviewqueueitem_next", ()): "/admin/safety/reviewqueueitem/next/",
    **{
        (f"safety_reviewqueueitem_{name}", (KEY,)): f"/admin/safety/reviewqueueitem/{KEY}/{name}/"
        for name in ("review", "claim", "renew", "release", "takeover", "decide")
    },
    ("publishing_readyvideo_approve", (KEY,)): f"/admin/publishing/readyvideo/{KEY}/approve/",
}


@pytest.mark.parametrize(("page", "expected"), PAGES.items(), ids=[n for n, _ in PAGES])
def test_each_custom_page_keeps_its_name_and_path(page, expected):
    name, args = page
    assert reverse(f"admin:{name}", args=args) == expected


@pytest.mark.parametrize("path", PAGES.values())
def test_each_custom_page_sends_anyone_not_signed_in_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_project_adds_the_timeline_to_video_admin_once():
    add_timeline_page()  # again, as a second ready() would
    pages = [page for page in VideoAdmin.admin_pages if page.name == "timeline"]
    assert [page.view for page in pages] == [timeline_page]


def test_the_page_context_is_the_sites_with_the_models_options_and_title(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    context = page_context(request, admin.site._registry[Video], title="A page", extra=1)
    assert context["opts"] is Video._meta
    assert context["title"] == "A page"
    assert context["extra"] == 1
    assert context["site_header"] == admin.site.site_header
