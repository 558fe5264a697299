"""What editors do after approving: retry and cancel failed publishes, cancel
scheduled ones, retract published ones; each behind its own permission."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from contentops.roles import EDITORS, MODERATORS, STAFF_VIEWERS
from publishing import delivery, receipts
from publishing.models import PublishReceipt, PublishStatus
from publishing.worker import Worker
from tests.factories import UserFactory
from tests.helpers import approve, grant_channels, reload
from videos.models import Task, TaskStatus, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker() -> int:
    return Worker(name="w", poll=0).run(once=True)


def fail_for_good(receipt, message="answered 500"):
    """The state a publish is in after its last attempt failed."""
    Task.objects.filter(pk=receipt.task_id).update(
        status=TaskStatus.FAILED, attempts=5, last_error=message
    )
    PublishReceipt.objects.filter(pk=receipt.pk).update(
        status=PublishStatus.FAILED, error=message, timestamp=timezone.now()
    )
    return reload(receipt)


def test_retry_queues_a_failed_publish_again_with_the_same_key(
    publisher, ready_video, channel_root
):
    (receipt,) = approve(ready_video(), publisher)
    fail_for_good(receipt)

    outcome = receipts.retry_publish(receipt_ids=[receipt.pk], editor=publisher)

    assert outcome.done == [receipt.pk]
    task = reload(receipt.task)
    assert (task.status, task.attempts, task.last_error) == (TaskStatus.QUEUED, 0, None)
    assert (reload(receipt).status, reload(receipt).error) == (PublishStatus.PENDING, None)
    run_worker()
    assert reload(receipt).status == PublishStatus.PUBLISHED
    sent = json.loads((channel_root / "youtube" / f"{receipt.pk}.json").read_text())
    assert sent["idempotency_key"] == str(receipt.pk)


def test_retry_refuses_what_has_not_failed_and_names_why(publisher, ready_video):
    (receipt,) = approve(ready_video(), publisher)
    outcome = receipts.retry_publish(receipt_ids=[receipt.pk], editor=publisher)
    assert outcome.refused == {receipt.pk: "not a failed publish (it is pending)"}


def test_retry_refuses_a_video_rejected_since(publisher, ready_video):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    fail_for_good(receipt)
    type(video).objects.filter(pk=video.pk).update(status=VideoStatus.REJECTED)
    outcome = receipts.retry_publish(receipt_ids=[receipt.pk], editor=publisher)
    assert outcome.refused == {receipt.pk: "its video is no longer approved"}
    assert reload(receipt.task).status == TaskStatus.FAILED


def test_cancelling_the_last_failed_channel_sends_the_video_back_to_ready(publisher, ready_video):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    fail_for_good(receipt)

    receipts.cancel_publish(receipt_ids=[receipt.pk], editor=publisher)

    assert reload(receipt.task).status == TaskStatus.CANCELLED
    receipt = reload(receipt)
    assert (receipt.status, receipt.error) == (PublishStatus.FAILED, "Cancelled by publisher.")
    assert list(PublishReceipt.objects.failures()) == []
    assert reload(video).status == VideoStatus.READY


def test_cancelling_a_scheduled_channel_keeps_the_others(publisher, ready_video):
    video = ready_video()
    youtube, tiktok = sorted(
        approve(video, publisher, ["youtube", "tiktok"]), key=lambda r: r.channel, reverse=True
    )
    receipts.cancel_publish(receipt_ids=[tiktok.pk], editor=publisher)
    assert reload(tiktok.task).status == TaskStatus.CANCELLED
    assert reload(youtube.task).status == TaskStatus.QUEUED
    assert reload(video).status == VideoStatus.APPROVED
    receipts.cancel_publish(receipt_ids=[youtube.pk], editor=publisher)
    assert reload(video).status == VideoStatus.READY


def test_cancel_refuses_a_publish_in_progress_or_done(publisher, ready_video):
    (receipt,) = approve(ready_video(), publisher)
    delivery.claim_due(worker="busy")
    outcome = receipts.cancel_publish(receipt_ids=[receipt.pk], editor=publisher)
    assert outcome.refused == {receipt.pk: "neither scheduled nor failed (pending, task running)"}


def test_retract_takes_the_video_down_and_records_it(publisher, ready_video, channel_root):
    (receipt,) = approve(ready_video(), publisher)
    run_worker()

    outcome = receipts.retract_publish(receipt_ids=[receipt.pk], editor=publisher)

    assert outcome.done == [receipt.pk]
    receipt = reload(receipt)
    assert receipt.status == PublishStatus.RETRACTED
    assert receipt.error == "Retracted by publisher."
    assert not (channel_root / "youtube" / f"{receipt.pk}.json").exists()
    assert (channel_root / "youtube" / "retracted" / f"{receipt.pk}.json").exists()
    again = receipts.retract_publish(receipt_ids=[receipt.pk], editor=publisher)
    assert again.refused == {receipt.pk: "not published (it is retracted)"}


def test_a_retract_the_adapter_breaks_on_is_refused_and_leaves_the_receipt(
    publisher, ready_video, channel_root
):
    (receipt,) = approve(ready_video(), publisher)
    run_worker()
    # Where the local adapter keeps retracted manifests, a file stands: it raises OSError.
    (channel_root / "youtube" / "retracted").write_text("not a folder")

    outcome = receipts.retract_publish(receipt_ids=[receipt.pk], editor=publisher)

    assert outcome.refused == {
        receipt.pk: "the channel did not retract it: "
        "The channel's adapter raised FileExistsError (the log has more)."
    }
    assert reload(receipt).status == PublishStatus.PUBLISHED


def test_a_video_retracted_from_every_channel_is_ready_to_approve_again(publisher, ready_video):
    video = ready_video()
    youtube, tiktok = approve(video, publisher, ["youtube", "tiktok"])
    run_worker()
    receipts.retract_publish(receipt_ids=[tiktok.pk], editor=publisher)
    assert reload(video).status == VideoStatus.PUBLISHED, "still live on YouTube"
    receipts.retract_publish(receipt_ids=[youtube.pk], editor=publisher)
    assert reload(video).status == VideoStatus.READY
    (again,) = approve(video, publisher)
    run_worker()
    assert reload(again).status == PublishStatus.PUBLISHED
    statuses = sorted(PublishReceipt.objects.filter(video=video).values_list("status", flat=True))
    assert statuses == [PublishStatus.PUBLISHED, PublishStatus.RETRACTED, PublishStatus.RETRACTED]


@pytest.mark.parametrize(
    "operation", [receipts.retry_publish, receipts.cancel_publish, receipts.retract_publish]
)
@pytest.mark.parametrize("group", [MODERATORS, STAFF_VIEWERS])
def test_only_editors_may_retry_cancel_or_retract(local_channels, roles, operation, group):
    user = grant_channels(UserFactory(username="not_editor", groups=[group]), "youtube")
    with pytest.raises(PermissionDenied):
        operation(receipt_ids=[], editor=user)


def test_an_editor_acts_only_on_channels_they_may_publish_to(roles, publisher, ready_video):
    (receipt,) = approve(ready_video(), publisher, ["tiktok"])
    fail_for_good(receipt)
    youtube_only = grant_channels(UserFactory(username="yt", groups=[EDITORS]), "youtube")
    for operation in (receipts.retry_publish, receipts.cancel_publish):
        outcome = operation(receipt_ids=[receipt.pk], editor=youtube_only)
        assert outcome.refused == {receipt.pk: "you may not publish to TikTok"}
    assert reload(receipt.task).status == TaskStatus.FAILED
