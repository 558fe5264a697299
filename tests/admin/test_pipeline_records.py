"""What the pipeline and the publish worker wrote is read-only in the admin, for
every role and for superusers: reports, receipts, publish tasks, artifacts' rows,
a video's status beyond the corrections that claim nothing. People act on them
through the recorded operations only."""

import json

import pytest

from publishing.models import PublishReceipt, PublishStatus
from safety.models import ReviewAction, SafetyReport
from safety.queue import pending_reports
from tests.admin.pages import change_url, delete_url, report_data, task_data, video_data
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from videos.models import Artifact, Task, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db

EVERYONE = ["viewer", "moderator", "editor", "admin_user"]
REPORTS_URL = "/admin/safety/safetyreport/"
RECEIPTS_URL = "/admin/publishing/publishreceipt/"
TASKS_URL = "/admin/videos/task/"


@pytest.fixture(params=EVERYONE)
def anyone(request, client_for):
    return client_for(request.getfixturevalue(request.param))


def stored(obj):
    return type(obj).objects.values().get(pk=obj.pk)


# Safety reports


@pytest.mark.parametrize("who", ["moderator", "admin_user"])
def test_unticking_requires_human_review_on_the_form_leaves_the_report_in_the_queue(
    request, client_for, who
):
    report = PendingReportFactory(score=0.6)
    before = stored(report)
    data = report_data(report, score="0.01", issues="[]")
    del data["requires_human_review"]

    response = client_for(request.getfixturevalue(who)).post(change_url(report), data)

    assert response.status_code == 403
    assert stored(report) == before
    assert pending_reports().filter(pk=report.pk).exists()
    assert not ReviewAction.objects.filter(report=report).exists()


def test_nobody_may_add_or_delete_a_report(anyone):
    report = SafetyReportFactory()
    assert anyone.get(f"{REPORTS_URL}add/").status_code == 403
    posted = anyone.post(f"{REPORTS_URL}add/", report_data(report, score="0.1"))
    assert posted.status_code == 403
    assert anyone.post(delete_url(report), {"post": "yes"}).status_code == 403
    assert SafetyReport.objects.count() == 1


def test_the_report_page_shows_everything_read_only_with_the_issues_readable(anyone):
    issues = [
        {"category": "violence", "severity": "high", "message": "fight <b>scene</b>"},
        {"category": "drugs", "severity": "low", "detector": "vision-v3"},
        "not an object",
    ]
    report = PendingReportFactory(score=0.73, issues=issues)

    response = anyone.get(change_url(report))

    assert response.status_code == 200
    page = response.content.decode()
    for name in ["task", "score", "issues", "requires_human_review", "_save"]:
        assert f'name="{name}"' not in page, name
    assert "<strong>violence</strong> (high): fight &lt;b&gt;scene&lt;/b&gt;" in page
    assert "<strong>drugs</strong> (low)" in page and "vision-v3" in page
    assert "not an object" in page
    assert "0.73" in page
    assert str(report.task.video.pk) in page


def test_no_group_holds_a_permission_to_change_reports_or_add_receipts(moderator, editor, viewer):
    for user in [moderator, editor, viewer]:
        assert not user.has_perm("safety.change_safetyreport")
        assert not user.has_perm("publishing.add_publishreceipt")


# Publish receipts


def test_receipt_add_and_change_urls_answer_403_for_every_role(anyone):
    receipt = PublishReceiptFactory(status=PublishStatus.FAILED, remote_id="r1")
    before = stored(receipt)
    forged = {"video": receipt.video_id, "channel": "youtube", "status": "published"}

    assert anyone.get(f"{RECEIPTS_URL}add/").status_code == 403
    assert anyone.post(f"{RECEIPTS_URL}add/", forged | {"remote_id": "../../x"}).status_code == 403
    changed = forged | {"remote_id": "../../x", "timestamp_0": "", "timestamp_1": ""}
    assert anyone.post(change_url(receipt), changed).status_code == 403
    assert anyone.post(delete_url(receipt), {"post": "yes"}).status_code == 403

    assert PublishReceipt.objects.count() == 1
    assert stored(receipt) == before


def test_a_receipt_is_still_shown_read_only(anyone):
    receipt = PublishReceiptFactory(status=PublishStatus.PUBLISHED, remote_id="yt-42")
    response = anyone.get(change_url(receipt))
    assert response.status_code == 200
    page = response.content.decode()
    assert "yt-42" in page and 'name="remote_id"' not in page and 'name="_save"' not in page


def test_editors_keep_the_receipts_actions(client_for, editor):
    PublishReceiptFactory(status=PublishStatus.FAILED)
    action_form = client_for(editor).get(RECEIPTS_URL).context["action_form"]
    offered = {name for name, _ in action_form.fields["action"].choices}
    assert offered == {"", "retract_selected", "cancel_selected", "retry_selected"}


# Tasks


@pytest.mark.parametrize("who", ["editor", "admin_user"])
def test_a_publish_task_cannot_be_added_from_the_task_form(request, client_for, who):
    video = VideoFactory()
    client = client_for(request.getfixturevalue(who))
    assert 'value="publish"' not in client.get(f"{TASKS_URL}add/").content.decode()

    response = client.post(
        f"{TASKS_URL}add/",
        {"video": video.pk, "type": "publish", "payload": json.dumps({"channel": "youtube"})},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["type"]
    assert errors == [
        "A publish task is made by approving the video for publishing (Publishing → Ready to "
        "publish), together with its receipt: it cannot be added or edited by hand."
    ]
    assert not Task.objects.exists()


def test_editors_add_other_tasks_which_start_queued(client_for, editor):
    video = VideoFactory()
    response = client_for(editor).post(
        f"{TASKS_URL}add/",
        {"video": video.pk, "type": "render", "status": "succeeded", "payload": '{"fps": 30}'},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.type, task.status, task.payload) == ("render", "queued", {"fps": 30})


@pytest.mark.parametrize("status", [TaskStatus.QUEUED, TaskStatus.FAILED])
def test_a_publish_task_is_read_only_even_for_superusers(client_for, admin_user, status):
    task = TaskFactory(type=TaskType.PUBLISH, status=status, payload={"channel": "youtube"})
    before = stored(task)
    client = client_for(admin_user)
    assert 'name="_save"' not in client.get(change_url(task)).content.decode()
    posted = task_data(task, payload='{"channel": "tiktok"}', status="succeeded")
    assert client.post(change_url(task), posted).status_code == 403
    assert client.post(delete_url(task), {"post": "yes"}).status_code == 403
    assert stored(task) == before


def test_the_task_actions_leave_publish_tasks_to_publishing(client_for, admin_user):
    queued = TaskFactory(type=TaskType.PUBLISH, status=TaskStatus.QUEUED)
    failed = TaskFactory(type=TaskType.PUBLISH, status=TaskStatus.FAILED)
    client = client_for(admin_user)
    for action, task in [("cancel_selected", queued), ("requeue_selected", failed)]:
        client.post(
            TASKS_URL,
            {
                "action": action,
                "index": 0,
                "_selected_action": [task.pk],
                f"_seen_version_{task.pk}": task.state_version,
            },
        )
    assert Task.objects.get(pk=queued.pk).status == TaskStatus.QUEUED
    assert Task.objects.get(pk=failed.pk).status == TaskStatus.FAILED


def test_a_queued_tasks_payload_may_be_corrected_but_not_its_status_type_or_video(
    client_for, admin_user
):
    task = TaskFactory(type=TaskType.RENDER, payload={"fps": 24})
    other = VideoFactory()
    response = client_for(admin_user).post(
        change_url(task),
        task_data(task, payload='{"fps": 30}', status="succeeded", type="publish", video=other.pk),
    )
    assert response.status_code == 302
    after = Task.objects.get(pk=task.pk)
    assert (after.payload, after.status, after.type) == ({"fps": 30}, "queued", "render")
    assert after.video_id == task.video_id


def test_a_task_the_pipeline_picked_up_is_read_only(client_for, admin_user):
    task = TaskFactory(type=TaskType.RENDER, status=TaskStatus.RUNNING, payload={"fps": 24})
    before = stored(task)
    response = client_for(admin_user).post(change_url(task), task_data(task, payload="{}"))
    assert response.status_code == 403
    assert stored(task) == before


# Videos and artifacts


def test_a_superuser_may_not_set_a_status_only_an_operation_reaches(client_for, admin_user):
    video = VideoFactory(status=VideoStatus.IN_REVIEW, title="before")
    client = client_for(admin_user)
    offered = client.get(change_url(video)).context["adminform"].form["status"]
    assert [choice[0] for choice in offered.field.widget.choices] == [
        "draft",
        "producing",
        "in_review",
        "failed",
        "archived",
    ]
    response = client.post(
        change_url(video), video_data(video, title="after", status=VideoStatus.READY)
    )
    assert response.status_code == 200
    assert (
        "A video becomes ready only through a recorded operation"
        in (response.context["adminform"].form.errors["status"][0])
    )
    after = Video.objects.get(pk=video.pk)
    assert (after.title, after.status) == ("before", VideoStatus.IN_REVIEW)


def test_a_video_added_by_hand_starts_as_a_draft(client_for, admin_user):
    persona = PersonaFactory()
    response = client_for(admin_user).post(
        "/admin/videos/video/add/",
        {"title": "By hand", "persona": persona.pk, "status": "published", "loaded_version": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Video.objects.get(title="By hand").status == VideoStatus.DRAFT


def test_nobody_adds_or_deletes_an_artifact_by_hand(anyone):
    artifact = ArtifactFactory()
    video = VideoFactory()
    posted = {"video": video.pk, "kind": "render", "s3_path": "s3://contentops/x.webm"}
    assert anyone.get("/admin/videos/artifact/add/").status_code == 403
    assert anyone.post("/admin/videos/artifact/add/", posted).status_code == 403
    assert anyone.post(delete_url(artifact), {"post": "yes"}).status_code == 403
    assert list(Artifact.objects.values_list("pk", flat=True)) == [artifact.pk]
