"""What a decision saw, and whether it still clears the video: decisions record
the video's files with their S3 ETags, the review page binds a decision to the
files it showed, and the one clearance check compares what would go out with
what was cleared (real Postgres, real S3)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from contentops.roles import MODERATORS
from safety import clearance, services
from safety.models import ActionKind, ReviewAction
from tests.factories import ArtifactFactory, PendingReportFactory, UserFactory, VideoFactory
from tests.helpers import closed_port, html, select, select_one, text
from tests.safety.pages import endpoint_url, review_url
from videos import storage
from videos.models import Artifact, ArtifactKind, VideoStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(roles):
    return UserFactory(username="mod", groups=[MODERATORS])


@pytest.fixture
def video_in_review(s3_media):
    """A video in review with a render, thumbnail and audio in S3, and its pending report."""
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    for kind, name in [
        (ArtifactKind.RENDER, "render.webm"),
        (ArtifactKind.THUMBNAIL, "thumbnail.png"),
        (ArtifactKind.AUDIO, "audio.wav"),
    ]:
        ArtifactFactory(video=video, kind=kind, s3_path=s3_media(name, f"{kind} v1".encode()))
    return video, PendingReportFactory(task__video=video)


def etag_of(path) -> str:
    return storage.object_info(Artifact(s3_path=path), fresh=True).etag


def approve(report, moderator, **fields):
    return services.decide(
        report_id=report.pk,
        moderator=moderator,
        kind=ActionKind.APPROVE,
        reason_code="no_violation",
        **fields,
    )


def overwrite(path: str, content: bytes) -> None:
    key = path.split("/", 3)[3]
    default_storage.delete(key)
    default_storage.save(key, ContentFile(content))


def test_a_decision_records_each_file_with_its_s3_etag_and_the_video_version(
    moderator, video_in_review
):
    video, report = video_in_review
    action = approve(report, moderator)
    video.refresh_from_db()
    seen = action.files_seen
    assert seen["video_version"] == video.state_version - 1  # settle_video moved it to ready
    by_kind = {entry["kind"]: entry for entry in seen["files"]}
    assert set(by_kind) == {"render", "thumbnail", "audio"}
    for artifact in Artifact.objects.filter(video=video):
        entry = by_kind[artifact.kind]
        assert entry["id"] == str(artifact.pk)
        assert entry["s3_path"] == artifact.s3_path
        assert entry["etag"] == etag_of(artifact.s3_path)
        # Audio never goes out to a channel; the render and thumbnail do.
        assert entry["outgoing"] is (artifact.kind != ArtifactKind.AUDIO)


def test_a_decision_from_a_page_that_showed_other_files_is_refused_with_409_and_not_recorded(
    client_for, moderator, video_in_review, s3_media
):
    video, report = video_in_review
    services.claim(report_id=report.pk, moderator=moderator)
    client = client_for(moderator)
    shown = client.get(review_url(report)).context["files_fingerprint"]
    # The pipeline points the render at a new file while the page is open.
    Artifact.objects.filter(video=video, kind=ArtifactKind.RENDER).update(
        s3_path=s3_media("render-v2.webm", b"render v2")
    )
    response = client.post(
        endpoint_url(report, "decide"),
        {"decision": "approve", "reason_approve": "no_violation", "files_seen": shown},
    )
    assert response.status_code == 409
    assert "files changed since the page loaded" in text(
        select_one(html(response), "#review-error")
    )
    assert not ReviewAction.objects.filter(report=report, kind__in=ReviewAction.DECISIONS).exists()
    report.refresh_from_db()
    assert report.review_status is None


def test_the_review_pages_fingerprint_lets_the_decision_through(
    client_for, moderator, video_in_review
):
    video, report = video_in_review
    services.claim(report_id=report.pk, moderator=moderator)
    client = client_for(moderator)
    page = client.get(review_url(report))
    (field,) = [
        e for e in select(html(page), "input") if dict(e.attributes).get("name") == "files_seen"
    ]
    assert dict(field.attributes)["value"] == page.context["files_fingerprint"]
    response = client.post(
        endpoint_url(report, "decide"),
        {
            "decision": "approve",
            "reason_approve": "no_violation",
            "files_seen": dict(field.attributes)["value"],
        },
    )
    assert response.status_code == 302
    assert ReviewAction.objects.get(report=report, kind=ActionKind.APPROVE).files_seen


def test_an_approval_whose_file_s3_cannot_confirm_is_refused_and_a_rejection_is_recorded(
    moderator, video_in_review
):
    video, report = video_in_review
    missing = f"s3://{default_storage.bucket_name}/tests/gone/{video.pk}.webm"
    ArtifactFactory(video=video, kind=ArtifactKind.RENDER, s3_path=missing)
    with pytest.raises(services.ReviewRefused, match="S3 could not confirm the render"):
        approve(report, moderator)
    assert not ReviewAction.objects.filter(report=report, kind__in=ReviewAction.DECISIONS).exists()

    action = services.decide(
        report_id=report.pk,
        moderator=moderator,
        kind=ActionKind.REJECT,
        reason_code="violence",
        note="a fight",
    )
    (entry,) = [f for f in action.files_seen["files"] if f["s3_path"] == missing]
    assert (entry["etag"], entry["problem"]) == (None, "missing in S3")


def test_an_escalation_is_recorded_while_s3_is_stopped_and_an_approval_is_not(
    moderator,
    video_in_review,
    settings,
    storage_options,
):
    video, report = video_in_review
    running = settings.STORAGES
    storage_options("default", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    try:
        with pytest.raises(services.ReviewRefused, match="S3 could not confirm"):
            approve(report, moderator)
        action = services.decide(
            report_id=report.pk,
            moderator=moderator,
            kind=ActionKind.ESCALATE,
            reason_code="other",
            note="cannot see the files",
        )
    finally:
        settings.STORAGES = running  # S3 back, so the test's objects can be deleted
    files = action.files_seen["files"]
    assert len(files) == 3
    assert all(f["etag"] is None and "unavailable" in f["problem"] for f in files)


def test_the_review_log_shows_the_files_each_decision_saw(client_for, moderator, video_in_review):
    video, report = video_in_review
    approve(report, moderator)
    response = client_for(moderator).get(review_url(report))
    log = text(select_one(html(response), "#review-log"))
    video.refresh_from_db()
    assert f"version {video.state_version - 1} with 3 files" in log
    for artifact in Artifact.objects.filter(video=video):
        assert artifact.s3_path in log
        assert etag_of(artifact.s3_path) in log


def test_the_review_log_shows_an_unreadable_record_as_such(client_for, moderator, video_in_review):
    video, report = video_in_review
    approve(report, moderator)
    # A decision row written by another program, in a shape we do not write.
    ReviewAction.objects.create(
        report=report,
        actor=moderator,
        kind=ActionKind.ESCALATE,
        reason_code="other",
        files_seen={"video_version": "x", "files": [7, {"id": 1}]},
    )
    response = client_for(moderator).get(review_url(report))
    assert response.status_code == 200
    log = text(select_one(html(response), "#review-log"))
    assert "Unreadable part of the record" in log and "0 files" in log


# The clearance check


def cleared_by_moderator(video_in_review, moderator):
    video, report = video_in_review
    approve(report, moderator)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    return video


def test_a_video_is_cleared_while_its_files_are_those_the_approval_saw(moderator, video_in_review):
    video = cleared_by_moderator(video_in_review, moderator)
    etags = {a.pk: etag_of(a.s3_path) for a in clearance.publish_set(video.pk)}
    assert clearance.clearance_problem(video.pk) is None
    assert clearance.clearance_problem(video.pk, etags=etags) is None


def test_a_path_changed_by_the_pipeline_uncleared_the_video_at_once(
    moderator, video_in_review, s3_media
):
    video = cleared_by_moderator(video_in_review, moderator)
    new = s3_media("render-v2.webm", b"render v2")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE artifacts SET s3_path = %s WHERE video_id = %s AND kind = 'render'",
            [new, video.pk],
        )
    problem = clearance.clearance_problem(video.pk)
    assert problem.startswith("The render changed after moderator mod cleared the video")
    assert new in problem and "needs a new safety review" in problem


def test_a_new_render_row_uncleared_the_video(moderator, video_in_review, s3_media):
    video = cleared_by_moderator(video_in_review, moderator)
    ArtifactFactory(video=video, kind=ArtifactKind.RENDER, s3_path=s3_media("r2.webm", b"r2"))
    assert "is not a file moderator mod saw" in clearance.clearance_problem(video.pk)


def test_an_object_overwritten_in_place_uncleared_the_video_when_etags_are_compared(
    moderator, video_in_review
):
    video = cleared_by_moderator(video_in_review, moderator)
    render = Artifact.objects.get(video=video, kind=ArtifactKind.RENDER)
    overwrite(render.s3_path, b"another render, same key")
    etags = {a.pk: etag_of(a.s3_path) for a in clearance.publish_set(video.pk)}
    assert "was overwritten in S3" in clearance.clearance_problem(video.pk, etags=etags)


def test_an_audio_file_changing_does_not_unclear_what_goes_out(
    moderator, video_in_review, s3_media
):
    video = cleared_by_moderator(video_in_review, moderator)
    Artifact.objects.filter(video=video, kind=ArtifactKind.AUDIO).update(
        s3_path=s3_media("audio-v2.wav", b"audio v2")
    )
    assert clearance.clearance_problem(video.pk) is None


def test_a_pipeline_cleared_video_is_cleared_for_the_files_it_had_when_the_report_was_written(
    s3_media,
):
    from tests.factories import clear_for_publishing

    video = VideoFactory(status=VideoStatus.READY)
    ArtifactFactory(video=video, kind=ArtifactKind.RENDER, s3_path=s3_media("r.webm", b"r"))
    clear_for_publishing(video)
    assert clearance.clearance_problem(video.pk) is None
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE artifacts SET s3_path = %s WHERE video_id = %s",
            [s3_media("r2.webm", b"r2"), video.pk],
        )
    assert "files were changed after the pipeline's safety report cleared it" in (
        clearance.clearance_problem(video.pk)
    )


def test_a_video_no_report_cleared_is_not_cleared():
    video = VideoFactory(status=VideoStatus.READY)
    assert clearance.clearance_problem(video.pk) == "No safety report clears this video's files."


def test_a_decision_post_that_names_no_files_is_refused_and_not_recorded(
    client_for, moderator, video_in_review
):
    video, report = video_in_review
    services.claim(report_id=report.pk, moderator=moderator)
    response = client_for(moderator).post(
        endpoint_url(report, "decide"), {"decision": "approve", "reason_approve": "no_violation"}
    )
    assert response.status_code == 400
    assert "did not say which files you saw" in text(select_one(html(response), "#review-error"))
    assert not ReviewAction.objects.filter(report=report, kind__in=ReviewAction.DECISIONS).exists()


def test_each_bulk_approval_records_the_files_its_video_had(moderator, s3_media):
    reports = []
    for n in range(2):
        video = VideoFactory(status=VideoStatus.IN_REVIEW)
        ArtifactFactory(
            video=video, kind=ArtifactKind.RENDER, s3_path=s3_media(f"r{n}.webm", b"r%d" % n)
        )
        reports.append(PendingReportFactory(task__video=video, score=0.05))
    result = services.bulk_approve(
        report_ids=[r.pk for r in reports], moderator=moderator, reason_code="no_violation"
    )
    assert sorted(result.decided, key=str) == sorted((r.pk for r in reports), key=str)
    for report in reports:
        action = ReviewAction.objects.get(report=report, kind=ActionKind.APPROVE)
        (entry,) = action.files_seen["files"]
        render = Artifact.objects.get(video=report.task.video_id)
        assert (entry["id"], entry["etag"]) == (str(render.pk), etag_of(render.s3_path))


def test_a_decision_asks_s3_about_the_videos_files_at_once(moderator, video_in_review, s3_proxy):
    video, report = video_in_review
    paths = list(Artifact.objects.filter(video=video).values_list("s3_path", flat=True))
    etags = {path: etag_of(path) for path in paths}
    proxy = s3_proxy(hold={"HEAD": 3})

    action = approve(report, moderator)

    # The proxy held each HEAD until all three files' were in flight.
    assert proxy.methods() == ["HEAD"] * 3
    assert proxy.most_in_flight == {"HEAD": 3}
    assert {entry["s3_path"]: entry["etag"] for entry in action.files_seen["files"]} == etags
