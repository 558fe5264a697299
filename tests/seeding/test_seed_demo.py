"""`manage.py seed_demo` against the real database and the real S3 (the S3_*
variables): every vocabulary is shown, media are real files, reruns reuse."""

import io
import wave
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.utils import timezone

from personas.models import Persona
from publishing.models import PublishReceipt, PublishStatus
from safety.issues import KNOWN_KEYS, validate_issues
from safety.models import SafetyReport
from seeding.demo import DEFAULT_PASSWORD, DEMO_USERS, s3_key
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db

MODELS = (Persona, Video, Task, Artifact, SafetyReport, PublishReceipt)


@pytest.fixture
def seed():
    """Run seed_demo (any number of times); its S3 objects are deleted afterwards."""

    def run() -> str:
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    yield run
    for path in Artifact.objects.values_list("s3_path", flat=True):
        if key := s3_key(path):
            default_storage.delete(key)


def read(artifact: Artifact) -> bytes:
    with default_storage.open(s3_key(artifact.s3_path)) as file:
        return file.read()


def test_every_video_status_task_type_and_task_status_is_present(seed):
    seed()

    assert set(Video.objects.values_list("status", flat=True)) == set(VideoStatus.values)
    assert set(Task.objects.values_list("type", flat=True)) == set(TaskType.values)
    assert set(Task.objects.values_list("status", flat=True)) == set(TaskStatus.values)
    assert set(Artifact.objects.values_list("kind", flat=True)) == set(ArtifactKind.values)
    assert 4 <= Persona.objects.count() <= 6
    assert all(isinstance(p.tone_profile, dict) for p in Persona.objects.all())


def test_every_artifact_is_a_real_file_in_s3_under_its_video_and_kind(seed):
    seed()

    artifacts = Artifact.objects.all()
    assert artifacts
    for artifact in artifacts:
        assert artifact.s3_path.startswith(f"s3://{default_storage.bucket_name}/")
        assert s3_key(artifact.s3_path).startswith(f"videos/{artifact.video_id}/{artifact.kind}/")
        content = read(artifact)
        if artifact.kind == ArtifactKind.THUMBNAIL:
            assert content.startswith(b"\x89PNG\r\n\x1a\n")
            assert content[12:24] == b"IHDR" + (320).to_bytes(4) + (180).to_bytes(4)
        elif artifact.kind == ArtifactKind.AUDIO:
            assert content[:4] == b"RIFF" and content[8:12] == b"WAVE"
            with wave.open(io.BytesIO(content)) as audio:
                assert 1 <= audio.getnframes() / audio.getframerate() <= 2
        elif artifact.kind == ArtifactKind.RENDER:
            assert content.startswith(b"\x1a\x45\xdf\xa3")  # EBML
            assert b"webm" in content[:64]
            assert len(content) < 100_000
        else:
            assert content.decode("utf-8").startswith(artifact.video.title.upper())


def test_a_finished_task_names_the_artifact_it_made(seed):
    seed()

    for artifact in Artifact.objects.all():
        task = Task.objects.get(video=artifact.video, type=artifact.kind)
        assert task.status == TaskStatus.SUCCEEDED
        assert task.payload["output"] == artifact.s3_path


def test_safety_reports_cover_the_score_range_and_some_need_a_human(seed):
    seed()

    reports = SafetyReport.objects.select_related("task")
    assert all(report.task.type == TaskType.SAFETY_CHECK for report in reports)
    assert reports.filter(requires_human_review=True).exists()
    assert reports.filter(requires_human_review=False).exists()
    scores = [report.score for report in reports]
    assert all(0 <= score <= 1 for score in scores)
    assert min(scores) <= 0.05 and max(scores) >= 0.95
    issues = [issue for report in reports for issue in report.issues]
    for report in reports:
        validate_issues(report.issues)
    assert any(set(issue) - set(KNOWN_KEYS) for issue in issues)
    evidence = [issue["evidence"] for issue in issues if "evidence" in issue]
    assert {"start", "end"} <= set().union(*evidence)
    assert any("excerpt" in item for item in evidence)


def test_only_videos_still_in_review_fill_the_review_queue(seed):
    from safety.models import ReviewAction
    from safety.queue import pending_reports

    seed()
    waiting = pending_reports().select_related("task__video")
    assert waiting.exists()
    assert {report.task.video.status for report in waiting} == {VideoStatus.IN_REVIEW}
    decided = SafetyReport.objects.filter(requires_human_review=True, review_status__isnull=False)
    for report in decided:
        assert ReviewAction.objects.filter(report=report, actor__username="moderator").exists()


def test_past_decisions_record_the_files_they_saw_and_leave_ready_videos_cleared(seed):
    from safety.clearance import clearance_problem, video_files
    from safety.models import ReviewAction

    seed()

    decisions = ReviewAction.objects.filter(kind__in=["approve", "reject"]).select_related(
        "report__task"
    )
    assert decisions
    for decision in decisions:
        files = video_files(decision.report.task.video_id)
        assert decision.files_seen["files"]
        assert all(f["etag"] for f in decision.files_seen["files"])
        assert {f["id"] for f in decision.files_seen["files"]} == {str(a.pk) for a in files}
        # Dated in the demo's past: an hour after the check, as the catalogue tells it.
        assert decision.created_at - decision.report.created_at == timedelta(minutes=58)
    ready = Video.objects.filter(status=VideoStatus.READY)
    assert ready
    assert [clearance_problem(video.pk) for video in ready] == [None] * len(ready)


def test_script_evidence_quotes_the_script(seed):
    seed()

    for report in SafetyReport.objects.select_related("task"):
        for issue in report.issues:
            if issue.get("evidence", {}).get("artifact") == "script":
                script = Artifact.objects.get(
                    video_id=report.task.video_id, kind=ArtifactKind.SCRIPT
                )
                assert issue["evidence"]["excerpt"] in read(script).decode()


def test_publish_receipts_are_on_approved_or_published_videos(seed):
    seed()

    receipts = PublishReceipt.objects.select_related("video")
    assert {r.status for r in receipts} == set(PublishStatus.values)
    assert {r.channel for r in receipts} == {"youtube", "tiktok", "local"}
    assert {r.video.status for r in receipts} <= {VideoStatus.APPROVED, VideoStatus.PUBLISHED}
    published = Video.objects.filter(status=VideoStatus.PUBLISHED)
    assert all(video.published_at for video in published)


def test_each_receipt_has_the_publish_task_an_approval_would_have_made(seed):
    seed()

    for receipt in PublishReceipt.objects.select_related("task"):
        task = receipt.task
        assert (task.type, task.video_id) == (TaskType.PUBLISH, receipt.video_id)
        assert task.payload["receipt_id"] == str(receipt.pk)
        assert task.payload["channel"] == receipt.channel
        assert {a["kind"] for a in task.payload["artifacts"]} == {"render", "thumbnail", "script"}
    scheduled = PublishReceipt.objects.filter(
        video__title="Sourdough starter from scratch, day by day"
    )
    assert {r.status for r in scheduled} == {PublishStatus.PENDING}
    assert all(r.task.not_before > timezone.now() for r in scheduled)
    assert PublishReceipt.objects.failures().count() == 2


def test_the_demo_editor_may_publish_to_every_configured_channel(seed, settings):
    from publishing import channels

    settings.PUBLISH_CHANNELS = settings.DEV_CHANNELS
    channels.sync_permissions()
    seed()

    editor = get_user_model().objects.get(username="editor")
    assert [c.name for c in channels.allowed(editor)] == ["youtube", "tiktok", "local"]


def test_a_second_run_reuses_the_data_without_duplicating_rows(seed):
    seed()
    before = {model: model.objects.count() for model in MODELS}
    users_before = get_user_model().objects.count()

    output = seed()

    assert "already present" in output
    assert {model: model.objects.count() for model in MODELS} == before
    assert get_user_model().objects.count() == users_before


def test_a_second_run_uploads_media_that_s3_lost(seed):
    seed()
    render = Artifact.objects.filter(kind=ArtifactKind.RENDER).first()
    default_storage.delete(s3_key(render.s3_path))

    output = seed()

    assert "Uploaded 1 media files" in output
    assert read(render).startswith(b"\x1a\x45\xdf\xa3")


def test_demo_users_log_in_with_their_roles_and_are_printed(seed, client):
    output = seed()

    for spec in DEMO_USERS:
        user = get_user_model().objects.get(username=spec.username)
        assert user.is_staff
        assert user.is_superuser == spec.superuser
        assert list(user.groups.values_list("name", flat=True)) == (
            [spec.group] if spec.group else []
        )
        assert client.login(
            request=HttpRequest(), username=spec.username, password=DEFAULT_PASSWORD
        )
        assert f"{spec.username} " in output
    assert DEFAULT_PASSWORD in output


def test_a_second_run_restores_demo_users_and_takes_the_password_from_the_environment(
    seed, client, monkeypatch
):
    seed()
    moderator = get_user_model().objects.get(username="moderator")
    moderator.set_password("forgotten")
    moderator.save()
    moderator.groups.clear()
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")

    output = seed()

    assert client.login(
        request=HttpRequest(), username="moderator", password="another-demo-password"
    )
    assert moderator.groups.filter(name="Moderators").exists()
    assert "another-demo-password" in output


def test_unreachable_s3_fails_in_one_line_naming_the_endpoint(seed, settings):
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **default,
            "OPTIONS": {**default["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"},
        },
    }

    with pytest.raises(CommandError) as raised:
        seed()

    message = str(raised.value)
    assert "http://127.0.0.1:9" in message
    assert "\n" not in message
    assert not Persona.objects.exists()
