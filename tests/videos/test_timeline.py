"""A video's timeline: persona, status history, tasks with durations, artifacts
with previews, safety reports, publish receipts; and links to it everywhere."""

import re
import time
from datetime import timedelta

import pghistory
import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.factories import (
    ArtifactFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from videos.models import ArtifactKind, TaskStatus, TaskType, VideoStatus

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 56


def timeline_url(video) -> str:
    return f"/admin/videos/video/{video.pk}/timeline/"


def section(html: str, name: str) -> str:
    match = re.search(
        rf'<section class="module timeline-section" id="{name}">.*?</section>', html, re.S
    )
    return match.group() if match else ""


def move(video, status, *, by):
    """Change the video's status as an admin user would: a guarded save, attributed."""
    with pghistory.context(user=by.pk, url="/admin/"):
        video.status = status
        video.save()


@pytest.fixture
def life(editor, stored_artifact):
    """A video that went from draft to in review, with what its pipeline made."""
    video = VideoFactory(
        title="Ten facts about octopuses", persona__name="Nova Reyes", status=VideoStatus.DRAFT
    )
    move(video, VideoStatus.PRODUCING, by=editor)
    move(video, VideoStatus.IN_REVIEW, by=editor)
    start = timezone.now() - timedelta(hours=1)
    for n, task_type in enumerate([TaskType.SCRIPT, TaskType.RENDER, TaskType.SAFETY_CHECK]):
        at = start + timedelta(minutes=10 * n)
        TaskFactory(
            video=video,
            type=task_type,
            status=TaskStatus.SUCCEEDED,
            created_at=at,
            payload={
                "started_at": (at + timedelta(seconds=30)).isoformat(),
                "finished_at": (at + timedelta(minutes=2, seconds=45)).isoformat(),
            },
        )
    check = video.task_set.get(type=TaskType.SAFETY_CHECK)
    report = SafetyReportFactory(
        task=check,
        score=0.62,
        requires_human_review=True,
        issues=[
            {"category": "medical_claim", "severity": "medium", "message": "Cure without source"}
        ],
    )
    render = stored_artifact(
        ArtifactKind.RENDER, b"\x1a\x45\xdf\xa3webm", "video/webm", video=video
    )
    script = stored_artifact(ArtifactKind.SCRIPT, b"OCTOPUSES\n[HOOK]\n", "text/plain", video=video)
    receipt = PublishReceiptFactory(
        video=video, channel="youtube", status="failed", remote_id="yt-1"
    )
    return {
        "video": video,
        "report": report,
        "render": render,
        "script": script,
        "receipt": receipt,
    }


def test_the_timeline_tells_the_whole_life_of_a_video(client_for, viewer, life):
    video = life["video"]

    response = client_for(viewer).get(timeline_url(video))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Timeline of Ten facts about octopuses" in html
    assert re.search(r"<dt>Persona</dt><dd><a [^>]*>Nova Reyes</a>", html)

    history = section(html, "status-history")
    rows = re.findall(r"<tr><td>.*?</tr>", history, re.S)
    assert len(rows) == 3
    assert "created as" in rows[0] and "Draft" in rows[0]
    assert "Draft</span> → " in rows[1] and "Producing" in rows[1] and "editor" in rows[1]
    assert "Producing</span> → " in rows[2] and "In review" in rows[2]

    tasks = section(html, "tasks")
    assert re.findall(r'/admin/videos/task/[^/]+/change/">([^<]+)<', tasks) == [
        "Script",
        "Render",
        "Safety check",
    ]
    assert tasks.count("2 min 15 s") == 3

    artifacts = section(html, "artifacts")
    assert (
        f'<video controls preload="metadata" data-artifact="{life["render"].pk}" '
        f'src="/admin/videos/artifact/{life["render"].pk}/content/"></video>'
    ) in artifacts
    assert '<pre class="artifact-script">OCTOPUSES\n[HOOK]\n</pre>' in artifacts

    report = section(html, "safety-reports")
    assert f'id="report-{life["report"].pk}"' in report
    assert "risk 0.62" in report
    assert "needs a human" in report
    assert "<strong>medical_claim</strong> (medium): Cure without source" in report

    receipts = section(html, "publish-receipts")
    assert "youtube" in receipts and "Failed" in receipts and "yt-1" in receipts


def test_reports_show_their_moderators_decisions(client_for, viewer, moderator):
    from safety import services

    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    decided = SafetyReportFactory(task__video=video, requires_human_review=True, score=0.6)
    SafetyReportFactory(task__video=video, requires_human_review=True, score=0.2)
    services.decide(
        report_id=decided.pk,
        moderator=moderator,
        kind="reject",
        reason_code="violence",
        note="graphic scene at 0:12",
    )
    reports = section(
        client_for(viewer).get(timeline_url(video)).content.decode(), "safety-reports"
    )
    assert "<strong>Reject</strong> by moderator" in reports
    assert "violence — graphic scene at 0:12" in reports
    assert "No human decision yet." in reports


def test_script_text_is_escaped(client_for, viewer, stored_artifact):
    video = VideoFactory()
    stored_artifact(ArtifactKind.SCRIPT, b"<script>alert('x')</script>", "text/plain", video=video)

    html = client_for(viewer).get(timeline_url(video)).content.decode()

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_a_long_script_shows_its_start_and_the_rest_on_demand(client_for, viewer, stored_artifact):
    video = VideoFactory()
    script = stored_artifact(ArtifactKind.SCRIPT, b"line\n" * 2000, "text/plain", video=video)

    html = client_for(viewer).get(timeline_url(video)).content.decode()

    shown = re.search(r'<pre class="artifact-script">(.*?)</pre>', html, re.S).group(1)
    assert shown == "line\n" * 409 + "lin…"
    assert (
        f'<a class="artifact-more" href="/admin/videos/artifact/{script.pk}/content/" '
        'target="_blank" rel="noopener">Show the whole script (9.8\xa0KB)</a>'
    ) in html


@pytest.mark.django_db(transaction=True)
def test_task_durations_come_from_the_recorded_status_changes(client_for, admin_user, pipeline_db):
    task = TaskFactory(status=TaskStatus.QUEUED, payload={})
    raw = pipeline_db()
    # A pipeline worker, in plain SQL.
    raw.execute(
        "UPDATE tasks SET status = 'running', state_version = state_version + 1 WHERE task_id = %s",
        [task.pk],
    )
    raw.execute(
        "UPDATE tasks SET payload = '{\"progress\": 50}' WHERE task_id = %s",
        [task.pk],
    )
    time.sleep(1.2)
    raw.execute("UPDATE tasks SET status = 'failed' WHERE task_id = %s", [task.pk])

    html = client_for(admin_user).get(timeline_url(task.video)).content.decode()

    duration = re.search(r'<td class="task-duration">([^<]*)</td>', html).group(1)
    assert duration in ("1 s", "2 s")


def test_a_running_task_shows_how_long_it_has_run(client_for, viewer):
    started = timezone.now() - timedelta(minutes=4, seconds=5)
    task = TaskFactory(status=TaskStatus.RUNNING, payload={"started_at": started.isoformat()})

    html = client_for(viewer).get(timeline_url(task.video)).content.decode()

    assert '<td class="task-duration">4 min 5 s so far</td>' in html


def test_a_video_without_recorded_history_says_so(client_for, viewer):
    video = VideoFactory(status=VideoStatus.READY)
    type(video).pgh_event_model.objects.filter(pgh_obj_id=video.pk).delete()

    html = client_for(viewer).get(timeline_url(video)).content.decode()

    assert "has been ready since before its history was kept" in html


def test_missing_and_stopped_s3_still_render_the_timeline(
    client_for, viewer, missing_path, s3_stopped
):
    video = VideoFactory()
    ArtifactFactory(video=video, kind=ArtifactKind.THUMBNAIL, s3_path=missing_path)

    response = client_for(viewer).get(timeline_url(video))

    assert response.status_code == 200
    assert f"S3 at {s3_stopped} is unavailable" in response.content.decode()


def test_a_missing_file_is_marked_on_the_timeline(client_for, viewer, missing_path):
    video = VideoFactory()
    ArtifactFactory(video=video, kind=ArtifactKind.THUMBNAIL, s3_path=missing_path)

    html = client_for(viewer).get(timeline_url(video)).content.decode()

    assert f"<strong>Missing</strong> Missing in S3: {missing_path}" in html


def test_staff_without_view_permission_get_403(client_for, life):
    response = client_for(UserFactory(username="nobody")).get(timeline_url(life["video"]))

    assert response.status_code == 403


def test_sections_follow_the_users_permissions(client_for, life):
    group = Group.objects.create(name="Video watchers")
    group.permissions.set(Permission.objects.filter(codename__in=["view_video", "view_task"]))
    watcher = UserFactory(username="watcher", groups=["Video watchers"])

    html = client_for(watcher).get(timeline_url(life["video"])).content.decode()

    assert section(html, "tasks")
    for hidden in ("artifacts", "safety-reports", "publish-receipts"):
        assert not section(html, hidden)
    assert "/content/" not in html


def test_an_unknown_video_redirects_with_a_message(client_for, viewer):
    # A malformed key is a 404 (tests/admin/test_bad_input.py); this one is well formed.
    unknown = "00000000-0000-0000-0000-000000000000"
    response = client_for(viewer).get(f"/admin/videos/video/{unknown}/timeline/", follow=True)

    assert response.redirect_chain[-1][0] == "/admin/"
    assert "doesn’t exist" in response.content.decode()


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize(("who", "queries"), [("admin_user", 13), ("viewer", 13)])
def test_timeline_query_count_does_not_grow_with_rows(
    request, client_for, editor, who, queries, rows, django_assert_num_queries
):
    video = VideoFactory(status=VideoStatus.DRAFT)
    for n in range(rows):
        move(video, VideoStatus.PRODUCING if n % 2 == 0 else VideoStatus.DRAFT, by=editor)
        task = TaskFactory(video=video, type=TaskType.SAFETY_CHECK)
        task.status = TaskStatus.RUNNING
        task.save()
        SafetyReportFactory(task=task)
        ArtifactFactory(video=video, s3_path="s3://elsewhere/a.png")
        PublishReceiptFactory(video=video)
    client = client_for(request.getfixturevalue(who))

    # session, user (with their permissions), the video, its
    # persona, its events, their users, its tasks, their status changes, its
    # artifacts, reports, receipts and clearance lapses
    with django_assert_num_queries(queries):
        response = client.get(timeline_url(video))

    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert len(timeline.steps) == len(timeline.artifacts) == len(timeline.reports) == rows
    assert len(timeline.status_changes) == rows + 1


@pytest.mark.parametrize(
    "changelist",
    [
        "/admin/videos/task/",
        "/admin/videos/artifact/",
        "/admin/safety/safetyreport/",
        "/admin/publishing/publishreceipt/",
    ],
)
def test_every_list_links_videos_to_their_timeline(client_for, viewer, changelist):
    video = VideoFactory(title="Linked everywhere")
    task = TaskFactory(video=video, type=TaskType.SAFETY_CHECK)
    ArtifactFactory(video=video)
    SafetyReportFactory(task=task)
    PublishReceiptFactory(video=video)

    html = client_for(viewer).get(changelist).content.decode()

    assert f'<a href="{timeline_url(video)}">Linked everywhere</a>' in html
    assert f"/admin/videos/video/{video.pk}/change/" not in html


def test_the_video_list_and_change_page_link_to_the_timeline(client_for, viewer):
    video = VideoFactory()
    client = client_for(viewer)

    listing = client.get("/admin/videos/video/").content.decode()
    change = client.get(f"/admin/videos/video/{video.pk}/change/").content.decode()

    assert f'<a href="{timeline_url(video)}">timeline</a>' in listing
    assert f'<a href="{timeline_url(video)}">Timeline</a>' in change


def test_the_artifact_page_previews_it_and_links_to_the_timeline(
    client_for, viewer, stored_artifact
):
    artifact = stored_artifact(ArtifactKind.AUDIO, b"RIFF\0\0\0\0WAVE", "audio/wav")

    html = client_for(viewer).get(f"/admin/videos/artifact/{artifact.pk}/change/").content.decode()

    assert f'<audio controls preload="metadata" data-artifact="{artifact.pk}"' in html
    assert "12\xa0bytes · audio/wav" in html
    assert f'<a href="{timeline_url(artifact.video)}">Video timeline</a>' in html
    assert f'<div class="readonly"><a href="{timeline_url(artifact.video)}">' in html
    assert "Upload a replacement" not in html
