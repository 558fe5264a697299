"""A clearance lapses when a reviewed file changes: an editor's upload, the
pipeline's SQL, an object overwritten in place. The video goes back to review,
scheduled approvals are void with the reason, and the pages say why (real
Postgres, real S3, the real worker)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contentops.roles import MODERATORS
from publishing import lapses, receipts, transitions
from publishing.models import PublishStatus
from publishing.worker import Worker
from safety import clearance
from safety import services as safety_services
from safety.models import ActionKind, ClearanceLapse
from tests.factories import ArtifactFactory, PendingReportFactory, UserFactory, VideoFactory
from tests.helpers import approve, html, reload, select_one, text
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)

WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\0" * 48


@pytest.fixture
def cleared_video(roles, files):
    """`cleared_video()`: a video a moderator approved (the decision saw its
    render, thumbnail and script in S3), now ready."""

    def make():
        video = VideoFactory(status=VideoStatus.IN_REVIEW)
        for kind, path in files.items():
            ArtifactFactory(video=video, kind=kind, s3_path=path)
        report = PendingReportFactory(task__video=video)
        moderator = UserFactory(username="mod", groups=[MODERATORS])
        safety_services.decide(
            report_id=report.pk,
            moderator=moderator,
            kind=ActionKind.APPROVE,
            reason_code="no_violation",
        )
        video.refresh_from_db()
        assert video.status == VideoStatus.READY
        return video

    return make


def assert_back_in_review(video, reason_part: str) -> ClearanceLapse:
    video = reload(video)
    assert video.status == VideoStatus.PRODUCING
    assert Task.objects.filter(
        video=video, type=TaskType.SAFETY_CHECK, status=TaskStatus.QUEUED
    ).exists()
    (lapse,) = ClearanceLapse.objects.filter(video=video)
    assert reason_part in lapse.reason
    return lapse


def pipeline_sql(pipeline_db, sql, *params):
    with pipeline_db().cursor() as cursor:
        cursor.execute(sql, params)


def test_an_editors_upload_over_a_cleared_render_refuses_approval_and_lapses_the_clearance(
    client_for, publisher, cleared_video
):
    video = cleared_video()
    render = Artifact.objects.get(video=video, kind=ArtifactKind.RENDER)
    client = client_for(publisher)
    response = client.post(
        f"/admin/videos/artifact/{render.pk}/upload/",
        {"file": SimpleUploadedFile("new.webm", WEBM, content_type="video/webm")},
    )
    assert response.status_code == 302
    new_path = reload(render).s3_path
    try:
        with pytest.raises(transitions.PublishRefused) as refused:
            approve(video, publisher)
        assert "The render changed after moderator mod cleared the video" in refused.value.message
        assert "went back to safety review" in refused.value.message
        lapse = assert_back_in_review(video, new_path)
        assert lapse.actor == publisher  # who uploaded it, from the request's history context
        assert not Task.objects.filter(video=video, type=TaskType.PUBLISH).exists()
    finally:
        default_storage.delete(new_path.split("/", 3)[3])


def test_the_approve_page_says_why_the_clearance_lapsed(client_for, publisher, cleared_video):
    video = cleared_video()
    Artifact.objects.filter(video=video, kind=ArtifactKind.THUMBNAIL).update(
        s3_path=f"s3://{default_storage.bucket_name}/tests/elsewhere/thumb.png"
    )
    assert lapses.lapse_changed_clearances() == 1
    response = client_for(publisher).get(f"/admin/publishing/readyvideo/{video.pk}/approve/")
    page = html(response)
    assert "producing, not ready to publish" in text(select_one(page, "#approve-blocker"))
    lapse = text(select_one(page, "#clearance-lapse"))
    assert "Its safety clearance lapsed on" in lapse
    assert "The thumbnail changed after moderator mod cleared the video" in lapse
    assert "approve-form" not in response.content.decode()


def test_the_approve_page_of_a_ready_video_with_a_changed_file_shows_the_clearance_problem(
    client_for, publisher, cleared_video, pipeline_db, s3_media
):
    video = cleared_video()
    pipeline_sql(
        pipeline_db,
        "UPDATE artifacts SET s3_path = %s WHERE video_id = %s AND kind = 'script'",
        s3_media("script-v2.txt", b"v2"),
        video.pk,
    )
    response = client_for(publisher).get(f"/admin/publishing/readyvideo/{video.pk}/approve/")
    blocker = text(select_one(html(response), "#approve-blocker"))
    assert "The script changed after moderator mod cleared the video" in blocker
    assert "It cannot be approved." in blocker


def test_a_pipeline_path_update_lapses_a_scheduled_approval_in_the_sweep(
    publisher, cleared_video, pipeline_db, s3_media
):
    video = cleared_video()
    (receipt,) = approve(video, publisher, not_before=timezone.now() + timedelta(hours=2))
    new_path = s3_media("render-v2.webm", b"v2")
    pipeline_sql(
        pipeline_db,
        "UPDATE artifacts SET s3_path = %s, created_at = created_at WHERE video_id = %s "
        "AND kind = 'render'",
        new_path,
        video.pk,
    )
    # Correct before any sweep: the live check already refuses it.
    assert "The render changed" in clearance.clearance_problem(video.pk)

    assert lapses.lapse_changed_clearances() == 1

    assert_back_in_review(video, new_path)
    receipt = reload(receipt)
    assert receipt.status == PublishStatus.FAILED
    assert receipt.error.startswith("The approval is void: The render changed after moderator mod")
    assert reload(receipt.task).status == TaskStatus.CANCELLED


def test_a_new_artifact_row_by_sql_lapses_the_clearance_in_the_workers_sweep(
    publisher, cleared_video, pipeline_db, s3_media, channel_root
):
    video = cleared_video()
    (receipt,) = approve(video, publisher, not_before=timezone.now() + timedelta(hours=2))
    pipeline_sql(
        pipeline_db,
        "INSERT INTO artifacts (video_id, kind, s3_path) VALUES (%s, 'thumbnail', %s)",
        video.pk,
        s3_media("thumbnail-v2.png", b"v2"),
    )

    Worker(name="sweeper", poll=0).run(once=True)

    assert_back_in_review(video, "is not a file moderator mod saw")
    assert reload(receipt).status == PublishStatus.FAILED
    assert not (channel_root / "youtube").exists() or not any((channel_root / "youtube").iterdir())


def test_the_sweep_leaves_videos_that_are_not_ready_or_approved(
    cleared_video, pipeline_db, s3_media
):
    video = cleared_video()
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.ARCHIVED)
    pipeline_sql(
        pipeline_db,
        "UPDATE artifacts SET s3_path = %s WHERE video_id = %s AND kind = 'render'",
        s3_media("r2.webm", b"r2"),
        video.pk,
    )
    assert lapses.lapse_changed_clearances() == 0
    assert reload(video).status == VideoStatus.ARCHIVED
    assert not ClearanceLapse.objects.exists()
    # The outbox is drained: the next sweep has nothing to read.
    assert lapses.lapse_changed_clearances() == 0


def overwrite(path: str, content: bytes) -> None:
    key = path.split("/", 3)[3]
    default_storage.delete(key)
    default_storage.save(key, ContentFile(content))


def test_an_object_overwritten_in_place_refuses_approval_and_lapses_the_clearance(
    publisher, cleared_video, files
):
    video = cleared_video()
    overwrite(files[ArtifactKind.THUMBNAIL], b"not the thumbnail the moderator saw")
    with pytest.raises(transitions.PublishRefused) as refused:
        approve(video, publisher)
    assert "was overwritten in S3 after moderator mod cleared the video" in refused.value.message
    lapse = assert_back_in_review(video, "overwritten in S3")
    assert lapse.actor is None  # nobody here wrote it


def test_an_object_overwritten_after_a_scheduled_approval_is_not_published(
    publisher, cleared_video, files, channel_root
):
    video = cleared_video()
    (receipt,) = approve(video, publisher)
    overwrite(files[ArtifactKind.RENDER], b"a render nobody reviewed")

    Worker(name="publisher", poll=0).run(once=True)

    assert not (channel_root / "youtube").exists() or not any((channel_root / "youtube").iterdir())
    assert "the render file was replaced in S3" in reload(receipt).error
    assert_back_in_review(video, "the render file was replaced in S3")


def test_a_retry_of_a_failed_publish_is_refused_once_the_files_changed(
    publisher, cleared_video, pipeline_db, s3_media
):
    video = cleared_video()
    (receipt,) = approve(video, publisher)
    task = receipt.task
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.FAILED)
    receipt.status = PublishStatus.FAILED
    receipt.save(update_fields=["status"])
    pipeline_sql(
        pipeline_db,
        "UPDATE artifacts SET s3_path = %s WHERE video_id = %s AND kind = 'render'",
        s3_media("r2.webm", b"r2"),
        video.pk,
    )
    outcome = receipts.retry_publish(receipt_ids=[receipt.pk], editor=publisher)
    assert outcome.done == []
    assert "The render changed after moderator mod" in outcome.refused[receipt.pk]


def test_the_videos_timeline_says_why_its_clearance_lapsed(client_for, cleared_video, roles):
    video = cleared_video()
    lapses.lapse_clearance(video_id=video.pk, reason="The render changed after review.")
    admin = UserFactory(username="boss", is_superuser=True)
    response = client_for(admin).get(f"/admin/videos/video/{video.pk}/timeline/")
    shown = text(select_one(html(response), "#clearance-lapses"))
    assert "The render changed after review." in shown
