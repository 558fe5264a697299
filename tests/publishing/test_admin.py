"""The editors' pages: Ready to publish, the approve page, Publish failures and
the receipts list; who may open them, what they show, and their query counts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from contentops.roles import EDITORS, MODERATORS
from publishing import approval
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ReviewStatus
from tests.factories import (
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
    clear_for_publishing,
)
from tests.helpers import approve, attribute, grant_channels, html, select, select_one, text
from videos.models import Task, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db

READY_URL = "/admin/publishing/readyvideo/"
FAILURES_URL = "/admin/publishing/publishfailure/"
RECEIPTS_URL = "/admin/publishing/publishreceipt/"
OUTSIDERS = ["moderator", "viewer", "no_groups"]


def approve_url(video) -> str:
    return f"{READY_URL}{video.pk}/approve/"


def approve_form(video, channels=("youtube",), **changes) -> dict:
    video.refresh_from_db()
    return {
        "channel": list(channels),
        "when": "now",
        "publish_at": "",
        "video_version": video.state_version,
        "artifacts": approval.fingerprint(approval.publish_set(video.pk)),
        **changes,
    }


def failed_publish(video, channel="youtube", error="answered 500") -> PublishReceipt:
    task = TaskFactory(
        video=video, type=TaskType.PUBLISH, status=TaskStatus.FAILED, attempts=5, last_error=error
    )
    return PublishReceiptFactory(
        video=video, channel=channel, status=PublishStatus.FAILED, task=task, error=error
    )


@pytest.fixture
def no_groups(db):
    return UserFactory(username="no_groups")


@pytest.fixture(autouse=True)
def warm_content_types(db):
    ContentType.objects.get_for_models(PublishReceipt, Video, Task)


# Who may open what


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_but_editors_is_refused_every_publishing_page(
    request, client_for, who, local_channels, ready_video
):
    client = client_for(request.getfixturevalue(who))
    video = ready_video()
    for url in [READY_URL, approve_url(video), f"{READY_URL}{video.pk}/change/", FAILURES_URL]:
        assert client.get(url).status_code == 403, url
    assert client.post(approve_url(video), approve_form(video)).status_code == 403
    assert Video.objects.get(pk=video.pk).status == VideoStatus.READY


@pytest.mark.parametrize("who", ["moderator", "viewer"])
def test_the_receipts_list_offers_them_no_publishing_action(request, client_for, who):
    PublishReceiptFactory(status=PublishStatus.PUBLISHED)
    response = client_for(request.getfixturevalue(who)).get(RECEIPTS_URL)
    assert response.status_code == 200
    assert response.context["action_form"] is None


@pytest.mark.parametrize("who", ["moderator", "viewer"])
def test_posting_a_publishing_action_without_the_permission_changes_nothing(
    request, client_for, who, local_channels
):
    receipt = failed_publish(VideoFactory(status=VideoStatus.APPROVED))
    client = client_for(request.getfixturevalue(who))
    for action in ["retry_selected", "cancel_selected", "retract_selected"]:
        client.post(RECEIPTS_URL, {"action": action, "_selected_action": [receipt.pk]})
    assert Task.objects.get(pk=receipt.task_id).status == TaskStatus.FAILED


def test_editors_see_the_publishing_lists_on_the_index(client_for, editor):
    page = client_for(editor).get("/admin/").content.decode()
    assert READY_URL in page and FAILURES_URL in page
    moderator_page = client_for(UserFactory(groups=[MODERATORS])).get("/admin/").content.decode()
    assert READY_URL not in moderator_page


# Ready to publish


def test_ready_to_publish_lists_ready_videos_newest_first_with_an_approve_button(
    client_for, editor
):
    older = VideoFactory(
        status=VideoStatus.READY, title="Older", created_at=timezone.now() - timedelta(days=1)
    )
    newer = VideoFactory(status=VideoStatus.READY, title="Newer")
    VideoFactory(status=VideoStatus.IN_REVIEW, title="Still in review")
    response = client_for(editor).get(READY_URL)
    assert [v.pk for v in response.context["cl"].result_list] == [newer.pk, older.pk]
    buttons = select(html(response), "a.button")
    assert [attribute(b, "href") for b in buttons] == [approve_url(newer), approve_url(older)]


def test_ready_to_publish_searches_titles(client_for, editor):
    VideoFactory(status=VideoStatus.READY, title="Octopus facts")
    VideoFactory(status=VideoStatus.READY, title="Volcanoes")
    response = client_for(editor).get(READY_URL, {"q": "octo"})
    assert [v.title for v in response.context["cl"].result_list] == ["Octopus facts"]


# The approve page


def test_the_approve_page_shows_safety_the_files_and_only_the_editors_channels(
    client_for, roles, local_channels, ready_video, moderator
):
    editor = grant_channels(UserFactory(username="yt_editor", groups=[EDITORS]), "youtube")
    video = ready_video(title="Ten facts about octopuses")
    SafetyReportFactory(
        task__video=video,
        requires_human_review=True,
        review_status=ReviewStatus.APPROVED,
        score=0.55,
        issues=[{"category": "animal_welfare", "severity": "medium"}],
    )
    page = html(client_for(editor).get(approve_url(video)))

    summary = text(select_one(page, "#safety-summary"))
    assert "animal_welfare (medium)" in summary and "Approved" in summary
    assert "violence (low)" in summary and "cleared" in summary
    kinds = [attribute(row, "data-kind") for row in select(page, "#outgoing-files tbody tr")]
    assert kinds == ["render", "thumbnail", "script"]
    paths = text(select_one(page, "#outgoing-files"))
    for artifact in approval.publish_set(video.pk):
        assert artifact.s3_path in paths
    boxes = [i for i in select(page, "#approve-form input") if attribute(i, "name") == "channel"]
    assert [attribute(b, "value") for b in boxes] == ["youtube"]
    assert "Not yours to publish to: TikTok" in text(select_one(page, "#not-allowed"))
    (version,) = [i for i in select(page, "input") if attribute(i, "name") == "video_version"]
    assert attribute(version, "value") == str(video.state_version)


def test_the_approve_page_links_files_through_the_content_view_never_to_s3(
    client_for, publisher, ready_video, settings
):
    video = ready_video()
    response = client_for(publisher).get(approve_url(video))
    page = html(response)

    endpoint = settings.S3_PUBLIC_ENDPOINT_URL or settings.S3_ENDPOINT_URL
    assert endpoint, "the test stack's S3 has an endpoint to look for"
    for leak in ["X-Amz-", "x-amz-", "response-content-type", endpoint]:
        assert leak not in response.content.decode(), leak
    links = {attribute(a, "href") for a in select(page, "#outgoing-files td.path a")}
    assert links == {
        f"/admin/videos/artifact/{artifact.pk}/content/"
        for artifact in approval.publish_set(video.pk)
    }
    (thumbnail,) = select(page, "img.thumbnail")
    (artifact,) = [a for a in approval.publish_set(video.pk) if a.kind == "thumbnail"]
    assert attribute(thumbnail, "src") == f"/admin/videos/artifact/{artifact.pk}/content/"


def test_the_approve_page_says_why_a_video_cannot_be_approved(client_for, publisher, ready_video):
    video = ready_video()
    SafetyReportFactory(task__video=video, requires_human_review=True)
    page = html(client_for(publisher).get(approve_url(video)))
    assert "still waiting for a moderator" in text(select_one(page, "#approve-blocker"))
    assert select(page, "#approve-form") == []


def test_approving_from_the_page_schedules_and_goes_to_the_videos_receipts(
    client_for, publisher, ready_video
):
    video = ready_video(title="Octopus facts")
    client = client_for(publisher)
    response = client.post(approve_url(video), approve_form(video, ["youtube", "tiktok"]))
    assert response.status_code == 302
    assert response["Location"] == f"{RECEIPTS_URL}?q={video.pk}"
    receipts = client.get(response["Location"])
    assert "Approved “Octopus facts” for YouTube and TikTok: publishing now." in [
        str(m) for m in receipts.context["messages"]
    ]
    assert len(receipts.context["cl"].result_list) == 2
    assert Video.objects.get(pk=video.pk).status == VideoStatus.APPROVED


def test_approving_for_a_time_schedules_it_then(client_for, publisher, ready_video, settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.PUBLISH_SCHEDULE_MAX_DAYS = 100 * 365  # 2099 is within the window
    video = ready_video()
    form = approve_form(video, when="at", publish_at="2099-06-01T09:30")
    assert client_for(publisher).post(approve_url(video), form).status_code == 302
    task = Task.objects.get(video=video, type=TaskType.PUBLISH)
    assert task.not_before.isoformat() == "2099-06-01T07:30:00+00:00"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ("stale_version", 409, "This video changed since the page loaded"),
        ("stale_files", 409, "files changed since the page loaded"),
        ("pending_report", 400, "still waiting for a moderator"),
        ("rejected_report", 400, "was rejected"),
        ("published_channel", 409, "already published to YouTube"),
        ("no_channel", 400, "Choose at least one channel."),
        ("past_time", 400, "has passed"),
        ("no_time", 400, "Give a date and time."),
    ],
)
def test_each_refusal_shows_on_the_page_and_changes_nothing(
    client_for, publisher, ready_video, s3_media, change, status, message
):
    video = ready_video()
    form = approve_form(video)
    if change == "stale_version":
        Video.objects.filter(pk=video.pk).update(title="Changed meanwhile")
    elif change == "stale_files":
        video.artifact_set.filter(kind="script").update(s3_path=s3_media("s.txt", b"s"))
    elif change == "pending_report":
        SafetyReportFactory(task__video=video, requires_human_review=True)
    elif change == "rejected_report":
        SafetyReportFactory(task__video=video, review_status=ReviewStatus.REJECTED)
    elif change == "published_channel":
        PublishReceiptFactory(video=video, channel="youtube", status=PublishStatus.PUBLISHED)
    elif change == "no_channel":
        form["channel"] = []
    elif change == "past_time":
        form |= {"when": "at", "publish_at": "2001-01-01T00:00"}
    elif change == "no_time":
        form |= {"when": "at", "publish_at": ""}
    before = Video.objects.get(pk=video.pk)

    response = client_for(publisher).post(approve_url(video), form)

    assert response.status_code == status
    assert message in text(select_one(html(response), "#approve-error"))
    after = Video.objects.get(pk=video.pk)
    assert (after.status, after.state_version) == (before.status, before.state_version)
    assert not Task.objects.filter(video=video, type=TaskType.PUBLISH).exists()


def test_a_channel_the_editor_may_not_publish_to_is_refused_with_403(
    client_for, roles, local_channels, ready_video
):
    editor = grant_channels(UserFactory(username="yt_editor", groups=[EDITORS]), "youtube")
    video = ready_video()
    response = client_for(editor).post(approve_url(video), approve_form(video, ["tiktok"]))
    assert response.status_code == 403
    assert "You may not publish to TikTok." in text(select_one(html(response), "#approve-error"))
    assert Video.objects.get(pk=video.pk).status == VideoStatus.READY


# Publish failures


def test_publish_failures_lists_failed_publishes_and_retries_them(
    client_for, publisher, local_channels
):
    video = clear_for_publishing(VideoFactory(status=VideoStatus.APPROVED))
    failed = failed_publish(video, error="youtube answered 422: video too long")
    PublishReceiptFactory(video=video, channel="tiktok", status=PublishStatus.PENDING)
    client = client_for(publisher)
    response = client.get(FAILURES_URL)
    assert [r.pk for r in response.context["cl"].result_list] == [failed.pk]
    assert "video too long" in response.content.decode()

    response = client.post(
        FAILURES_URL, {"action": "retry_selected", "_selected_action": [failed.pk]}, follow=True
    )
    assert "Retried 1 publish." in [str(m) for m in response.context["messages"]]
    assert Task.objects.get(pk=failed.task_id).status == TaskStatus.QUEUED
    assert list(client.get(FAILURES_URL).context["cl"].result_list) == []


def test_cancelling_from_the_failures_list_names_what_it_could_not_cancel(
    client_for, publisher, local_channels
):
    video = VideoFactory(status=VideoStatus.APPROVED, title="Octopus facts")
    failed = failed_publish(video)
    other = failed_publish(VideoFactory(status=VideoStatus.APPROVED), channel="vimeo")
    response = client_for(publisher).post(
        FAILURES_URL,
        {"action": "cancel_selected", "_selected_action": [failed.pk, other.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "Cancelled 1 publish." in messages
    assert any("'vimeo' is not configured" in m for m in messages)
    assert Task.objects.get(pk=failed.task_id).status == TaskStatus.CANCELLED
    assert Video.objects.get(pk=video.pk).status == VideoStatus.READY


# Receipts


def test_receipts_link_remote_ids_where_the_channel_has_a_url_pattern(
    client_for, editor, local_channels
):
    PublishReceiptFactory(channel="youtube", status=PublishStatus.PUBLISHED, remote_id="yt123")
    PublishReceiptFactory(channel="tiktok", status=PublishStatus.PUBLISHED, remote_id="tt456")
    page = client_for(editor).get(RECEIPTS_URL).content.decode()
    assert (
        '<a href="https://youtube.example/watch?v=yt123" rel="noopener" target="_blank">yt123</a>'
        in page
    )
    assert "tt456" in page and "?v=tt456" not in page


def test_receipts_filter_by_channel_status_and_date(client_for, editor):
    old = PublishReceiptFactory(
        channel="youtube",
        status=PublishStatus.PUBLISHED,
        timestamp=timezone.now() - timedelta(days=40),
    )
    recent = PublishReceiptFactory(channel="youtube", status=PublishStatus.PUBLISHED)
    PublishReceiptFactory(channel="tiktok", status=PublishStatus.PUBLISHED)
    PublishReceiptFactory(channel="youtube", status=PublishStatus.FAILED)
    client = client_for(editor)

    def listed(**query):
        return {r.pk for r in client.get(RECEIPTS_URL, query).context["cl"].result_list}

    assert listed(channel="youtube", status="published") == {old.pk, recent.pk}
    since = (timezone.now() - timedelta(days=7)).isoformat()
    assert listed(channel="youtube", status="published", timestamp__gte=since) == {recent.pk}


@pytest.mark.django_db(transaction=True)
def test_editors_retract_from_the_receipts_list(client_for, publisher, ready_video, channel_root):
    from publishing.worker import Worker

    (receipt,) = approve(ready_video(), publisher)
    Worker(name="w", poll=0).run(once=True)
    response = client_for(publisher).post(
        RECEIPTS_URL, {"action": "retract_selected", "_selected_action": [receipt.pk]}, follow=True
    )
    assert "Retracted 1 publish." in [str(m) for m in response.context["messages"]]
    assert PublishReceipt.objects.get(pk=receipt.pk).status == PublishStatus.RETRACTED


# Query counts: the same however many rows

ROWS = [3, 30]


@pytest.mark.parametrize("rows", ROWS)
def test_ready_to_publish_query_count(client_for, publisher, rows, django_assert_num_queries):
    VideoFactory.create_batch(rows, status=VideoStatus.READY)
    client = client_for(publisher)
    # session, user with their permissions, the count of ready
    # videos (an index scan), the page of videos with personas
    with django_assert_num_queries(4):
        response = client.get(READY_URL)
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_approve_page_query_count(
    client_for, publisher, ready_video, rows, django_assert_num_queries
):
    video = ready_video()
    for _ in range(rows):
        SafetyReportFactory(task__video=video, requires_human_review=True, review_status="approved")
    client = client_for(publisher)
    # session, user with their permissions, the video and persona, its files,
    # its published channels, its reports, their decisions with moderators; the
    # clearance check: the verdicts, the newest approval, the files that would go
    # out, the outbox's file changes since the pipeline's report
    with django_assert_num_queries(11):
        response = client.get(approve_url(video))
    assert len(response.context["reports"]) == rows + 1


@pytest.mark.parametrize("rows", ROWS)
def test_publish_failures_query_count(client_for, publisher, rows, django_assert_num_queries):
    for _ in range(rows):
        failed_publish(VideoFactory(status=VideoStatus.APPROVED))
    client = client_for(publisher)
    # session, user with their permissions, the count of failures,
    # the page of receipts with videos and tasks (the channel filter lists the
    # configured channels: no query)
    with django_assert_num_queries(4):
        response = client.get(FAILURES_URL)
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_receipts_query_count(client_for, publisher, rows, django_assert_num_queries):
    PublishReceiptFactory.create_batch(rows, status=PublishStatus.PUBLISHED, remote_id="r")
    client = client_for(publisher)
    # session, user with their permissions, the count of receipts,
    # the page of receipts with videos (the channel filter: no query)
    with django_assert_num_queries(4):
        response = client.get(RECEIPTS_URL)
    assert len(response.context["cl"].result_list) == rows


def test_the_channel_permissions_are_receipt_permissions(local_channels):
    permission = Permission.objects.get(codename="publish_to_youtube")
    assert (permission.content_type.app_label, permission.name) == (
        "publishing",
        "Can publish to YouTube",
    )


# The video's own page


def test_an_approved_video_is_locked_on_its_change_page(client_for, editor):
    from tests.admin.pages import video_data

    video = VideoFactory(status=VideoStatus.APPROVED, title="Scheduled")
    client = client_for(editor)
    page = client.get(f"/admin/videos/video/{video.pk}/change/")
    assert "locked until it is published" in text(select_one(html(page), "#publish-lock"))
    assert page.context["adminform"].form.fields.keys() == {"loaded_version"}
    client.post(f"/admin/videos/video/{video.pk}/change/", video_data(video, title="Edited"))
    assert Video.objects.get(pk=video.pk).title == "Scheduled"


def test_a_ready_videos_page_links_editors_to_the_approve_page(client_for, editor, viewer):
    video = VideoFactory(status=VideoStatus.READY)
    page = html(client_for(editor).get(f"/admin/videos/video/{video.pk}/change/"))
    assert attribute(select_one(page, "#approve-link"), "href") == approve_url(video)
    page = html(client_for(viewer).get(f"/admin/videos/video/{video.pk}/change/"))
    assert select(page, "#approve-link") == []
