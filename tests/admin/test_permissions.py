"""Who may do what in the admin: the groups of contentops/roles.py, page by page."""

import pytest
from django.contrib.auth.models import Group

from contentops.roles import EDITORS, LEADS, MODERATORS, ROLES, STAFF_VIEWERS
from safety.models import SafetyReport
from tests.admin.pages import (
    CHANGELISTS,
    change_data,
    change_url,
    changelist_url,
    delete_url,
    report_data,
    video_data,
)
from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from videos.models import Task, Video, VideoStatus

FACTORIES = [
    PersonaFactory,
    VideoFactory,
    TaskFactory,
    ArtifactFactory,
    SafetyReportFactory,
    PublishReceiptFactory,
]
GROUP_MEMBERS = ["moderator", "editor", "viewer"]

pytestmark = pytest.mark.django_db


@pytest.fixture(params=GROUP_MEMBERS)
def member(request, db):
    return request.getfixturevalue(request.param)


@pytest.fixture(params=FACTORIES, ids=lambda factory: factory._meta.model._meta.model_name)
def row(request, db):
    return request.param()


@pytest.mark.parametrize("group", ROLES)
def test_groups_hold_exactly_the_permissions_of_their_role(group):
    permissions = Group.objects.get(name=group).permissions.select_related("content_type")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
    assert held == set(ROLES[group])


def test_anonymous_users_are_sent_to_the_login_page(client, row):
    for url in [changelist_url(row), change_url(row)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_group_can_view_every_changelist(client_for, member, url):
    assert client_for(member).get(url).status_code == 200


def test_every_group_can_view_every_change_page(client_for, member, row):
    assert client_for(member).get(change_url(row)).status_code == 200


def test_no_group_can_delete(client_for, member, row):
    client = client_for(member)
    assert client.get(delete_url(row)).status_code == 403
    assert client.post(delete_url(row), {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def offered_actions(response) -> set[str]:
    action_form = response.context["action_form"]
    return {name for name, _ in action_form.fields["action"].choices} if action_form else set()


def test_no_group_is_offered_bulk_delete(client_for, member, row):
    response = client_for(member).get(changelist_url(row))
    assert "delete_selected" not in offered_actions(response)


def test_viewers_may_not_post_any_change_form(client_for, viewer, row):
    response = client_for(viewer).post(change_url(row), change_data(row))
    assert response.status_code == 403


def test_viewers_see_no_add_save_or_delete(client_for, viewer, row):
    client = client_for(viewer)
    changelist = client.get(changelist_url(row))
    assert changelist.context["has_add_permission"] is False
    page = client.get(change_url(row))
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert delete_url(row) not in html
    assert client.get(f"{changelist_url(row)}add/").status_code == 403


def test_viewers_are_not_offered_the_archive_action(client_for, viewer):
    VideoFactory()
    response = client_for(viewer).get("/admin/videos/video/")
    assert offered_actions(response) == set()
    assert "archive_selected" not in response.content.decode()


def test_editors_are_offered_the_archive_action(client_for, editor):
    VideoFactory()
    response = client_for(editor).get("/admin/videos/video/")
    assert "archive_selected" in offered_actions(response)


def test_viewers_posting_the_archive_action_change_nothing(client_for, viewer):
    video = VideoFactory(status=VideoStatus.DRAFT)
    response = client_for(viewer).post(
        "/admin/videos/video/",
        {
            "action": "archive_selected",
            "_selected_action": [video.pk],
            "index": 0,
            f"_seen_version_{video.pk}": video.state_version,
        },
    )
    # With no action offered, the post is only a page load.
    assert response.status_code == 200
    stored = Video.objects.get(pk=video.pk)
    assert (stored.status, stored.state_version) == (VideoStatus.DRAFT, video.state_version)


@pytest.mark.parametrize("who", ["admin_user", "editor", "viewer", "moderator"])
def test_the_videos_list_saves_no_titles_whoever_posts_them(request, client_for, who):
    # Titles are edited on the change form only: the list has no editable column.
    video = VideoFactory(title="before")
    response = client_for(request.getfixturevalue(who)).post(
        "/admin/videos/video/",
        {
            "form-TOTAL_FORMS": 1,
            "form-INITIAL_FORMS": 1,
            "form-0-id": video.pk,
            "form-0-title": "after",
            f"_seen_version_{video.pk}": video.state_version,
            "_save": "Save",
        },
    )
    assert response.status_code in (200, 403)
    stored = Video.objects.get(pk=video.pk)
    assert (stored.title, stored.state_version) == ("before", video.state_version)


@pytest.mark.parametrize("factory", [VideoFactory, TaskFactory], ids=["video", "task"])
def test_moderators_may_not_change_videos_or_tasks(client_for, moderator, factory):
    row = factory()
    before = type(row).objects.get(pk=row.pk).state_version
    response = client_for(moderator).post(change_url(row), change_data(row))
    assert response.status_code == 403
    assert type(row).objects.get(pk=row.pk).state_version == before


def test_editors_can_change_a_video(client_for, editor):
    video = VideoFactory(title="before")
    response = client_for(editor).post(change_url(video), video_data(video, title="after"))
    assert response.status_code == 302
    assert Video.objects.get(pk=video.pk).title == "after"


def test_editors_cannot_set_a_videos_status_by_hand(client_for, editor):
    video = VideoFactory(title="before", status=VideoStatus.READY)
    client = client_for(editor)
    page = client.get(change_url(video)).content.decode()
    assert 'name="status"' not in page, "status is shown read-only"
    response = client.post(
        change_url(video), video_data(video, title="after", status=VideoStatus.PUBLISHED)
    )
    assert response.status_code == 302
    video.refresh_from_db()
    assert (video.title, video.status) == ("after", VideoStatus.READY)


def test_superusers_can_still_correct_a_videos_status(client_for, admin_user):
    video = VideoFactory(status=VideoStatus.FAILED)
    response = client_for(admin_user).post(
        change_url(video), video_data(video, status=VideoStatus.DRAFT)
    )
    assert response.status_code == 302
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DRAFT


@pytest.mark.parametrize("who", ["moderator", "editor", "admin_user"])
def test_nobody_may_change_a_safety_report(request, client_for, who):
    report = SafetyReportFactory(score=0.2)
    response = client_for(request.getfixturevalue(who)).post(
        change_url(report), report_data(report, score="0.7")
    )
    assert response.status_code == 403
    assert SafetyReport.objects.get(pk=report.pk).score == 0.2


def test_editors_may_not_change_a_task(client_for, editor):
    task = TaskFactory(status="queued")
    response = client_for(editor).post(change_url(task), change_data(task, status="cancelled"))
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).status == "queued"


@pytest.mark.parametrize(
    ("who", "url", "allowed"),
    [
        ("editor", "/admin/videos/task/add/", True),
        ("editor", "/admin/publishing/publishreceipt/add/", False),
        ("editor", "/admin/videos/video/add/", False),
        ("editor", "/admin/videos/artifact/add/", False),
        ("moderator", "/admin/safety/safetyreport/add/", False),
        ("moderator", "/admin/videos/task/add/", False),
        # Reports, receipts and artifacts are the pipeline's: not even a superuser adds one.
        ("admin_user", "/admin/safety/safetyreport/add/", False),
        ("admin_user", "/admin/publishing/publishreceipt/add/", False),
        ("admin_user", "/admin/videos/artifact/add/", False),
        ("admin_user", "/admin/videos/task/add/", True),
        ("admin_user", "/admin/videos/video/add/", True),
        ("admin_user", "/admin/personas/persona/add/", True),
    ],
)
def test_only_the_adds_a_role_grants_are_open(request, client_for, who, url, allowed):
    response = client_for(request.getfixturevalue(who)).get(url)
    assert response.status_code == (200 if allowed else 403)


def test_role_names_are_the_groups_people_are_put_in():
    assert set(ROLES) == {LEADS, MODERATORS, EDITORS, STAFF_VIEWERS}
