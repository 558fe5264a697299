"""Approving a video for publishing: what it writes, and each refusal, on real
Postgres and a real S3."""

import threading
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection
from django.utils import timezone

from contentops.roles import EDITORS, STAFF_VIEWERS
from publishing import approval, transitions
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ReviewStatus
from tests.factories import (
    PublishReceiptFactory,
    SafetyReportFactory,
    UserFactory,
)
from tests.helpers import approve, grant_channels
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db


def s3_etag(path: str) -> str:
    key = path.split("/", 3)[3]
    head = default_storage.connection.meta.client.head_object(
        Bucket=default_storage.bucket_name, Key=key
    )
    return head["ETag"].strip('"')


def unchanged(video: Video, receipts: int = 0) -> None:
    stored = Video.objects.get(pk=video.pk)
    assert (stored.status, stored.state_version) == (video.status, video.state_version)
    assert not Task.objects.filter(video=video, type=TaskType.PUBLISH).exists()
    assert PublishReceipt.objects.filter(video=video).count() == receipts


def refused(video, editor, channel_names=("youtube",), **options) -> transitions.PublishRefused:
    video.refresh_from_db()
    receipts = PublishReceipt.objects.filter(video=video).count()
    with pytest.raises(transitions.PublishRefused) as refusal:
        approve(video, editor, channel_names, **options)
    unchanged(video, receipts)
    return refusal.value


def test_approving_schedules_one_task_and_one_pending_receipt_per_channel(publisher, ready_video):
    video = ready_video()
    receipts = approve(video, publisher, ["youtube", "tiktok"])

    video.refresh_from_db()
    assert video.status == VideoStatus.APPROVED
    assert sorted(r.channel for r in receipts) == ["tiktok", "youtube"]
    for receipt in PublishReceipt.objects.filter(video=video).select_related("task"):
        assert receipt.status == PublishStatus.PENDING
        task = receipt.task
        assert (task.type, task.status, task.video_id) == (
            TaskType.PUBLISH,
            TaskStatus.QUEUED,
            video.pk,
        )
        assert task.payload["channel"] == receipt.channel
        assert task.payload["receipt_id"] == str(receipt.pk)
        assert task.payload["approved_by"] == {"id": publisher.pk, "username": "publisher"}
        assert task.not_before <= timezone.now()


def test_the_payload_names_each_published_file_with_its_s3_etag(publisher, ready_video, files):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    artifacts = {a.kind: a for a in Artifact.objects.filter(video=video)}
    payload = receipt.task.payload
    assert [a["kind"] for a in payload["artifacts"]] == ["render", "thumbnail", "script"]
    for entry in payload["artifacts"]:
        artifact = artifacts[entry["kind"]]
        assert entry["id"] == str(artifact.pk)
        assert entry["s3_path"] == artifact.s3_path
        assert entry["etag"] == s3_etag(files[entry["kind"]])


def test_approving_asks_s3_about_the_files_at_once(publisher, ready_video, s3_proxy):
    video = ready_video()
    proxy = s3_proxy(hold={"HEAD": 3})

    (receipt,) = approve(video, publisher)

    # The proxy held each HEAD until the render's, thumbnail's and script's were in flight.
    assert proxy.methods() == ["HEAD"] * 3
    assert proxy.most_in_flight == {"HEAD": 3}
    payload = receipt.task.payload["artifacts"]
    assert [a["etag"] for a in payload] == [s3_etag(a["s3_path"]) for a in payload]


def test_only_the_newest_file_of_each_kind_goes_out(publisher, ready_video, files, s3_media):
    from tests.factories import ArtifactFactory, clear_for_publishing

    video = ready_video()
    newer = ArtifactFactory(
        video=video,
        kind=ArtifactKind.SCRIPT,
        s3_path=s3_media("script-v2.txt", b"v2"),
        created_at=timezone.now() + timedelta(seconds=1),
    )
    clear_for_publishing(video, at=timezone.now() + timedelta(seconds=2))
    (receipt,) = approve(video, publisher)
    scripts = [a for a in receipt.task.payload["artifacts"] if a["kind"] == "script"]
    assert scripts == [
        {
            "id": str(newer.pk),
            "kind": "script",
            "s3_path": newer.s3_path,
            "etag": s3_etag(newer.s3_path),
        }
    ]


def test_approving_for_later_records_the_time(publisher, ready_video):
    at = timezone.now() + timedelta(hours=3)
    (receipt,) = approve(ready_video(), publisher, not_before=at)
    assert receipt.task.not_before == at
    assert receipt.task.payload["not_before"] == at.isoformat()


def test_refused_while_a_report_waits_for_a_moderator(publisher, ready_video):
    video = ready_video()
    SafetyReportFactory(task__video=video, requires_human_review=True)
    refusal = refused(video, publisher)
    assert "still waiting for a moderator" in refusal.message


def test_refused_while_a_report_is_escalated(publisher, ready_video):
    video = ready_video()
    SafetyReportFactory(
        task__video=video, requires_human_review=True, review_status=ReviewStatus.ESCALATED
    )
    assert "still waiting for a moderator" in refused(video, publisher).message


def test_refused_when_a_report_was_rejected(publisher, ready_video):
    video = ready_video()
    SafetyReportFactory(
        task__video=video, requires_human_review=True, review_status=ReviewStatus.REJECTED
    )
    assert "was rejected" in refused(video, publisher).message


def test_refused_when_the_video_changed_since_the_page_loaded(publisher, ready_video):
    video = ready_video()
    seen = video.state_version
    Video.objects.filter(pk=video.pk).update(title="Renamed meanwhile")
    video.refresh_from_db()
    refusal = refused(video, publisher, video_version=seen)
    assert refusal.conflict
    assert f"you saw version {seen}, it is now at version {seen + 1}" in refusal.message


def test_refused_when_the_files_changed_since_the_page_loaded(publisher, ready_video, s3_media):
    video = ready_video()
    seen = approval_fingerprint(video)
    Artifact.objects.filter(video=video, kind=ArtifactKind.THUMBNAIL).update(
        s3_path=s3_media("other.png", b"other")
    )
    refusal = refused(video, publisher, artifacts_seen=seen)
    assert refusal.conflict
    assert "files changed since the page loaded" in refusal.message


def approval_fingerprint(video):
    from publishing import approval

    return approval.fingerprint(approval.publish_set(video.pk))


def test_refused_when_the_channel_already_has_a_published_receipt(publisher, ready_video):
    video = ready_video()
    PublishReceiptFactory(video=video, channel="tiktok", status=PublishStatus.PUBLISHED)
    refusal = refused(video, publisher, ["youtube", "tiktok"])
    assert refusal.message == "This video is already published to TikTok."
    assert PublishReceipt.objects.filter(video=video).count() == 1


def test_refused_for_a_channel_the_editor_may_not_publish_to(roles, local_channels, ready_video):
    editor = grant_channels(UserFactory(username="yt_only", groups=[EDITORS]), "youtube")
    video = ready_video()
    refusal = refused(video, editor, ["youtube", "tiktok"])
    assert refusal.forbidden
    assert refusal.message == "You may not publish to TikTok."
    approve(video, editor, ["youtube"])
    assert Video.objects.get(pk=video.pk).status == VideoStatus.APPROVED


def test_an_editor_without_any_channel_permission_may_approve_nothing(
    editor, local_channels, ready_video
):
    assert refused(ready_video(), editor).forbidden


@pytest.mark.parametrize("group", [STAFF_VIEWERS, "Moderators"])
def test_only_holders_of_the_approve_permission_may_approve(
    roles, local_channels, ready_video, group
):
    user = grant_channels(UserFactory(username="someone", groups=[group]), "youtube")
    video = ready_video()
    with pytest.raises(PermissionDenied):
        approve(video, user)
    unchanged(video)


def test_refused_unless_the_video_is_ready(publisher, ready_video):
    video = ready_video(status=VideoStatus.IN_REVIEW)
    assert "in review, not ready to publish" in refused(video, publisher).message


def test_refused_without_a_channel_or_for_an_unknown_one(publisher, ready_video):
    video = ready_video()
    assert refused(video, publisher, []).message == "Choose at least one channel."
    assert "no channel 'vimeo'" in refused(video, publisher, ["vimeo"]).message


def test_refused_for_a_time_that_has_passed(publisher, ready_video):
    past = timezone.now() - timedelta(hours=1)
    assert "has passed" in refused(ready_video(), publisher, not_before=past).message


def test_refused_without_a_render(publisher, ready_video):
    video = ready_video(kinds=[ArtifactKind.THUMBNAIL, ArtifactKind.SCRIPT])
    assert refused(video, publisher).message == "The video has no render to publish."


def test_refused_when_a_file_is_missing_in_s3(publisher, ready_video):
    video = ready_video()
    Artifact.objects.filter(video=video, kind=ArtifactKind.SCRIPT).update(
        s3_path=f"s3://{default_storage.bucket_name}/tests/gone/script.txt"
    )
    assert "is missing in S3" in refused(video, publisher).message


@pytest.mark.django_db(transaction=True)
def test_two_editors_approving_at_once_schedule_it_once(roles, local_channels, ready_video):
    editors = [
        grant_channels(UserFactory(username=f"ed{n}", groups=[EDITORS]), "youtube")
        for n in range(4)
    ]
    video = ready_video()
    barrier = threading.Barrier(len(editors))
    outcomes = []

    def attempt(editor):
        try:
            barrier.wait(timeout=10)
            approve(Video.objects.get(pk=video.pk), editor)
            outcomes.append("approved")
        except transitions.PublishRefused as refusal:
            outcomes.append(refusal.message)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(e,)) for e in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("approved") == 1, outcomes
    assert PublishReceipt.objects.filter(video=video).count() == 1
    assert Task.objects.filter(video=video, type=TaskType.PUBLISH).count() == 1


# The schedule window


def test_only_times_within_the_schedule_window_are_scheduled(publisher, ready_video, settings):
    settings.PUBLISH_SCHEDULE_MAX_DAYS = 30
    latest = timezone.localtime(timezone.now() + timedelta(days=30))
    message = refused(
        ready_video(), publisher, not_before=timezone.now() + timedelta(days=31)
    ).message
    assert message.startswith(
        "Publishing can be scheduled at most 30 days ahead: the latest allowed time is "
    )
    assert f"{latest:%Y-%m-%d} " in message
    at = timezone.now() + timedelta(days=29, hours=23)
    (receipt,) = approve(ready_video(), publisher, not_before=at)
    assert receipt.task.not_before == at


def test_a_time_past_year_9999_in_utc_is_refused_and_nothing_is_stored(publisher, ready_video):
    far = datetime(9999, 12, 31, 23, 0, tzinfo=dt_timezone(timedelta(hours=-14)))
    message = refused(ready_video(), publisher, not_before=far).message
    assert "at most 365 days ahead" in message


def test_a_time_before_year_1_in_utc_is_refused_as_passed(publisher, ready_video):
    early = datetime(1, 1, 1, 0, 30, tzinfo=dt_timezone(timedelta(hours=14)))
    assert "has passed" in refused(ready_video(), publisher, not_before=early).message


def approve_page_post(client, video, **changes):
    video.refresh_from_db()
    form = {
        "channel": ["youtube"],
        "when": "at",
        "publish_at": "",
        "video_version": video.state_version,
        "artifacts": approval.fingerprint(approval.publish_set(video.pk)),
        **changes,
    }
    return client.post(f"/admin/publishing/readyvideo/{video.pk}/approve/", form)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"publish_at": "9999-12-31T23:00:00-14:00"}, "at most 365 days ahead"),
        ({"publish_at": "0001-01-01T00:30:00+14:00"}, "has passed"),
        ({"publish_at": "notatime"}, "“notatime” is not a date and time"),
        ({"publish_at": "99999-01-01T00:00"}, "is not a date and time"),
        ({"publish_at": "2026-13-01T00:00"}, "is not a date and time"),
        ({"publish_at": "2026-01-01\x00T00:00"}, "is not a date and time"),
        ({"publish_at": ""}, "Give a date and time."),
        ({"when": "now", "video_version": "²"}, "video version must be a whole number"),
        ({"when": "now", "video_version": "99999999999"}, "video version must be between"),
    ],
)
def test_the_approve_page_refuses_bad_times_and_versions_with_a_message(
    client_for, publisher, ready_video, changes, message
):
    video = ready_video()
    response = approve_page_post(client_for(publisher), video, **changes)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    unchanged(video)
    # The tasks list and the video's timeline still load.
    assert client_for(publisher).get("/admin/videos/task/").status_code == 200
    assert client_for(publisher).get(f"/admin/videos/video/{video.pk}/timeline/").status_code == 200
