"""The publish worker in this process, on real Postgres and S3: what it
publishes and records, schedules, retries, failures, leases, and the checks
that keep a changed or rejected video from reaching a channel."""

import json
import urllib.request
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from contentops.roles import MODERATORS
from publishing import delivery, receipts
from publishing.models import PublishReceipt, PublishStatus
from publishing.worker import Worker
from safety import services as safety_services
from safety.models import ClearanceLapse, ReviewStatus, SafetyReport
from seeding.demo_content import RENDER_WEBM
from tests.factories import SafetyReportFactory, UserFactory
from tests.helpers import approve, grant_channels, in_thread, reload
from tests.publishing.webhook_server import Answer
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker(name="worker-1") -> int:
    return Worker(name=name, poll=0).run(once=True)


def manifests(channel_root, channel="youtube") -> dict:
    folder = channel_root / channel
    return (
        {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
        if folder.exists()
        else {}
    )


def test_the_worker_publishes_records_the_receipt_the_task_and_the_video(
    publisher, ready_video, channel_root
):
    video = ready_video(title="Ten facts about octopuses")
    receipts = approve(video, publisher, ["youtube", "tiktok"])
    before = timezone.now()

    assert run_worker() == 2

    for receipt in receipts:
        receipt = reload(receipt)
        assert receipt.status == PublishStatus.PUBLISHED
        assert receipt.remote_id == str(receipt.pk)
        assert receipt.timestamp >= before
        task = receipt.task
        assert (task.status, task.attempts, task.leased_by, task.last_error) == (
            TaskStatus.SUCCEEDED,
            1,
            None,
            None,
        )
        sent = manifests(channel_root, receipt.channel)[str(receipt.pk)]
        assert sent["idempotency_key"] == str(receipt.pk)
        assert sent["title"] == "Ten facts about octopuses"
        assert sent["persona"]["name"] == video.persona.name
        assert sent["approved_by"] == "publisher"
    video = reload(video)
    assert video.status == VideoStatus.PUBLISHED
    assert video.published_at >= before


def test_the_manifest_links_each_approved_file_with_a_working_presigned_url(
    publisher, ready_video, channel_root
):
    (receipt,) = approve(ready_video(), publisher)
    run_worker()
    sent = manifests(channel_root)[str(receipt.pk)]
    approved = receipt.task.payload["artifacts"]
    assert [(a["id"], a["kind"], a["etag"]) for a in sent["artifacts"]] == [
        (a["id"], a["kind"], a["etag"]) for a in approved
    ]
    render = next(a for a in sent["artifacts"] if a["kind"] == "render")
    with urllib.request.urlopen(render["url"], timeout=10) as response:
        assert response.read() == RENDER_WEBM.read_bytes()


def test_the_worker_asks_s3_about_the_files_at_once(publisher, ready_video, channel_root, s3_proxy):
    (receipt,) = approve(ready_video(), publisher)
    proxy = s3_proxy(hold={"HEAD": 3})

    assert run_worker() == 1

    # The proxy held each HEAD until the render's, thumbnail's and script's were in flight.
    assert proxy.methods() == ["HEAD"] * 3
    assert proxy.most_in_flight == {"HEAD": 3}
    assert reload(receipt).status == PublishStatus.PUBLISHED
    sent = manifests(channel_root)[str(receipt.pk)]["artifacts"]
    assert [a["etag"] for a in sent] == [a["etag"] for a in receipt.task.payload["artifacts"]]


def test_scheduled_work_does_not_run_before_its_time(publisher, ready_video, channel_root):
    at = timezone.now() + timedelta(hours=2)
    (receipt,) = approve(ready_video(), publisher, not_before=at)

    assert run_worker() == 0
    assert reload(receipt).status == PublishStatus.PENDING
    assert reload(receipt.task).status == TaskStatus.QUEUED
    assert manifests(channel_root) == {}

    Task.objects.filter(pk=receipt.task_id).update(not_before=timezone.now())
    assert run_worker() == 1
    assert reload(receipt).status == PublishStatus.PUBLISHED


def test_the_worker_publishes_the_oldest_schedule_first(publisher, ready_video):
    late, early = ready_video(), ready_video()
    (late_receipt,) = approve(late, publisher)
    (early_receipt,) = approve(early, publisher)
    Task.objects.filter(pk=early_receipt.task_id).update(
        not_before=timezone.now() - timedelta(hours=1)
    )
    claimed = delivery.claim_due(worker="w", limit=1)
    assert [t.pk for t in claimed] == [early_receipt.task_id]


def test_a_video_rejected_after_approval_never_reaches_the_channel(
    publisher, ready_video, channel_root
):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    # A rejection written without cancelling the publish work (say, by SQL).
    SafetyReportFactory(
        task__video=video, requires_human_review=True, review_status=ReviewStatus.REJECTED
    )

    run_worker()

    assert manifests(channel_root) == {}
    receipt = reload(receipt)
    assert receipt.status == PublishStatus.FAILED
    assert "was rejected" in receipt.error
    assert reload(receipt.task).status == TaskStatus.CANCELLED


def test_a_moderators_rejection_cancels_the_publish_and_fails_its_receipt(
    publisher, ready_video, channel_root
):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    report = SafetyReportFactory(task__video=video, requires_human_review=True)
    moderator = UserFactory(username="mod", groups=[MODERATORS])
    safety_services.decide(
        report_id=report.pk,
        moderator=moderator,
        kind="reject",
        reason_code="violence",
        note="a late complaint",
    )
    assert reload(video).status == VideoStatus.REJECTED
    assert reload(receipt.task).status == TaskStatus.CANCELLED

    run_worker()

    assert manifests(channel_root) == {}
    assert reload(receipt).status == PublishStatus.FAILED


def test_a_moderators_rejection_fails_the_receipts_at_once_with_the_reason(publisher, ready_video):
    video = ready_video()
    scheduled, running = approve(video, publisher, ["youtube", "tiktok"])
    Task.objects.filter(pk=running.task_id).update(not_before=timezone.now() - timedelta(hours=1))
    Task.objects.filter(pk=scheduled.task_id).update(not_before=timezone.now() + timedelta(days=1))
    (claimed,) = delivery.claim_due(worker="w", limit=1)
    assert claimed.pk == running.task_id
    report = SafetyReportFactory(task__video=video, requires_human_review=True)
    moderator = UserFactory(username="mod", groups=[MODERATORS])

    safety_services.decide(
        report_id=report.pk, moderator=moderator, kind="reject", reason_code="violence", note="gore"
    )

    # No worker ran: the rejection itself failed both receipts, the running one's too.
    for receipt in (scheduled, running):
        receipt = reload(receipt)
        assert receipt.status == PublishStatus.FAILED
        assert receipt.error == "Not published: the video was rejected in safety review."
        task = reload(receipt.task)
        assert task.status == TaskStatus.CANCELLED
        assert task.last_error == receipt.error
        assert task.leased_by is None


def test_changed_files_void_the_approval_and_send_the_video_back_to_ready(
    publisher, ready_video, s3_media, channel_root
):
    video = ready_video()
    receipts = approve(video, publisher, ["youtube", "tiktok"])
    # The pipeline writes a new thumbnail under a new key.
    Artifact.objects.filter(video=video, kind=ArtifactKind.THUMBNAIL).update(
        s3_path=s3_media("thumbnail-v2.png", b"new")
    )

    run_worker()

    assert manifests(channel_root) == {} and manifests(channel_root, "tiktok") == {}
    # The files its safety report cleared changed: the video went back to review.
    assert reload(video).status == VideoStatus.PRODUCING
    assert ClearanceLapse.objects.filter(video=video).exists()
    for receipt in receipts:
        receipt = reload(receipt)
        assert receipt.status == PublishStatus.FAILED
        assert receipt.error == "The approval is void: its files changed."
        assert reload(receipt.task).status == TaskStatus.CANCELLED


def test_a_file_overwritten_in_place_in_s3_voids_the_approval_at_publish_time(
    approved_render_in_place, channel_root
):
    receipt, key = approved_render_in_place
    video = receipt.video
    default_storage.delete(key)
    default_storage.save(key, ContentFile(b"a different render"))

    run_worker()

    assert manifests(channel_root) == {}
    assert "the render file was replaced in S3" in reload(receipt).error
    # The render that was cleared is not the one in S3 now: back to review.
    assert reload(video).status == VideoStatus.PRODUCING
    (lapse,) = ClearanceLapse.objects.filter(video=video)
    assert "the render file was replaced in S3" in lapse.reason


def test_a_title_edited_after_approval_voids_it(publisher, ready_video, channel_root):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    video = reload(video)
    video.title = "A new title nobody approved"
    video.save()

    run_worker()

    assert manifests(channel_root) == {}
    assert reload(receipt).error == "The approval is void: its title changed."
    assert reload(video).status == VideoStatus.READY


def test_a_temporary_failure_is_retried_later_with_backoff(
    publisher, ready_video, webhook_channel, webhook_server, settings
):
    settings.PUBLISH_RETRY_SECONDS = 30
    publisher = grant_channels(publisher, "hook")
    (receipt,) = approve(ready_video(), publisher, ["hook"])
    webhook_server.script(Answer(status=503), Answer(status=503))

    run_worker()
    task = reload(receipt.task)
    assert (task.status, task.attempts) == (TaskStatus.QUEUED, 1)
    assert timedelta(seconds=25) < task.not_before - timezone.now() <= timedelta(seconds=30)
    assert "answered 503" in task.last_error
    assert reload(receipt).status == PublishStatus.PENDING
    assert "answered 503" in reload(receipt).error

    Task.objects.filter(pk=task.pk).update(not_before=timezone.now())
    run_worker()
    task = reload(task)
    assert task.attempts == 2
    assert timedelta(seconds=55) < task.not_before - timezone.now() <= timedelta(seconds=60)

    Task.objects.filter(pk=task.pk).update(not_before=timezone.now())
    run_worker()
    assert reload(receipt).status == PublishStatus.PUBLISHED
    assert {r.key for r in webhook_server.requests} == {str(receipt.pk)}


def test_temporary_failures_fail_the_receipt_after_the_last_attempt(
    publisher, ready_video, webhook_channel, webhook_server, settings
):
    settings.PUBLISH_MAX_ATTEMPTS = 2
    publisher = grant_channels(publisher, "hook")
    (receipt,) = approve(ready_video(), publisher, ["hook"])
    webhook_server.script(Answer(delay=2), Answer(status=500))

    run_worker()
    Task.objects.filter(pk=receipt.task_id).update(not_before=timezone.now())
    run_worker()

    receipt = reload(receipt)
    assert (receipt.status, receipt.task.status, receipt.task.attempts) == (
        PublishStatus.FAILED,
        TaskStatus.FAILED,
        2,
    )
    assert "answered 500" in receipt.error
    assert list(PublishReceipt.objects.failures()) == [receipt]
    assert reload(receipt.video).status == VideoStatus.APPROVED


def test_a_permanent_failure_fails_at_once(publisher, ready_video, webhook_channel, webhook_server):
    publisher = grant_channels(publisher, "hook")
    (receipt,) = approve(ready_video(), publisher, ["hook"])
    webhook_server.script(Answer(status=422, body={"error": "too long"}))

    run_worker()

    receipt = reload(receipt)
    assert (receipt.status, receipt.task.attempts) == (PublishStatus.FAILED, 1)
    assert "answered 422" in receipt.error


def test_a_task_whose_lease_ran_out_is_claimed_again_and_a_live_one_is_not(
    publisher, ready_video, channel_root
):
    (receipt,) = approve(ready_video(), publisher)
    (claimed,) = delivery.claim_due(worker="dead-worker")
    assert delivery.claim_due(worker="other") == []

    Task.objects.filter(pk=claimed.pk).update(lease_expires_at=timezone.now())
    assert run_worker("other") == 1

    task = reload(claimed)
    assert (task.status, task.attempts) == (TaskStatus.SUCCEEDED, 2)
    assert reload(receipt).status == PublishStatus.PUBLISHED


def test_a_task_whose_workers_keep_dying_fails_after_the_last_attempt(
    publisher, ready_video, settings
):
    settings.PUBLISH_MAX_ATTEMPTS = 2
    (receipt,) = approve(ready_video(), publisher)
    for _ in range(2):
        (claimed,) = delivery.claim_due(worker="crashing")
        Task.objects.filter(pk=claimed.pk).update(lease_expires_at=timezone.now())

    assert delivery.claim_due(worker="next") == []
    receipt = reload(receipt)
    assert receipt.status == PublishStatus.FAILED
    assert "stopped 2 times" in receipt.error


def test_renewing_a_lease_bumps_no_version_and_writes_no_history(publisher, ready_video):
    approve(ready_video(), publisher)
    (task,) = delivery.claim_due(worker="w")
    events = Task.pgh_event_model.objects.filter(pgh_obj_id=task.pk).count()
    assert delivery.renew_lease(task_id=task.pk, worker="w")
    assert not delivery.renew_lease(task_id=task.pk, worker="someone-else")
    after = reload(task)
    assert after.state_version == task.state_version
    assert after.lease_expires_at > task.lease_expires_at
    assert Task.pgh_event_model.objects.filter(pgh_obj_id=task.pk).count() == events


def test_a_publish_task_without_a_receipt_fails_clearly(publisher, ready_video):
    video = ready_video()
    task = Task.objects.create(video=video, type="publish", payload={"channels": ["youtube"]})
    run_worker()
    task = reload(task)
    assert task.status == TaskStatus.FAILED
    assert "not made by an approval" in task.last_error


def test_a_rejection_landing_while_the_channel_publishes_is_retracted_at_once(
    publisher, ready_video, webhook_channel, webhook_server
):
    publisher = grant_channels(publisher, "hook")
    video = ready_video()
    (receipt,) = approve(video, publisher, ["hook"])
    webhook_server.script(Answer(hang=True))

    worker = in_thread(run_worker)
    assert webhook_server.state.hanging.wait(timeout=10)
    SafetyReport.objects.create(
        task=receipt.task, requires_human_review=True, review_status=ReviewStatus.REJECTED
    )
    webhook_server.release()
    worker.join(timeout=20)

    receipt = reload(receipt)
    assert receipt.status == PublishStatus.RETRACTED
    assert "rejected while it was published" in receipt.error
    assert webhook_server.state.retracted == [receipt.remote_id]


def test_voiding_an_old_approval_leaves_a_newer_one_alone(publisher, ready_video):
    video = ready_video()
    (old,) = approve(video, publisher)
    stale_task = reload(old.task)
    receipts.cancel_publish(receipt_ids=[old.pk], editor=publisher)
    (new,) = approve(video, publisher)

    # A sweep that read the old approval before it was cancelled acts on it late.
    delivery.void_approval(task=stale_task, reason="The approval is void: its files changed.")

    assert reload(new.task).status == TaskStatus.QUEUED
    assert reload(new).status == PublishStatus.PENDING
    assert reload(video).status == VideoStatus.APPROVED
