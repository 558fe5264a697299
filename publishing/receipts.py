"""Editors' operations on publish receipts: retry, cancel, retract.

Each works receipt by receipt: one refused (with the reason) does not stop
the others. Row locks come from publishing/locks.py, in its order.
"""

import logging

from django.db import transaction
from django.utils import timezone

from publishing import channels, locks
from publishing.channels import ChannelFailure, Retraction, TemporaryFailure
from publishing.models import PublishReceipt, PublishStatus
from publishing.transitions import (
    CANCEL_PERMISSION,
    RETRACT_PERMISSION,
    RETRY_PERMISSION,
    Outcome,
    PublishRefused,
    back_to_ready_if_idle,
    cancel_locked,
    move_task,
    require,
    unconfigured,
)
from safety import clearance
from videos.models import TaskStatus, VideoStatus

log = logging.getLogger(__name__)


def _for_each_receipt(receipt_ids, editor, permission, operation) -> Outcome:
    require(editor, permission)
    outcome = Outcome()
    for receipt_id in sorted(receipt_ids, key=str):
        try:
            operation(receipt_id, editor)
            outcome.done.append(receipt_id)
        except PublishRefused as refusal:
            outcome.refused[receipt_id] = refusal.message
    return outcome


def _lock_receipt_family(receipt_id):
    """Lock a receipt with its video and task, in the queue's order."""
    row = PublishReceipt.objects.filter(pk=receipt_id).values("video_id", "task_id").first()
    if row is None:
        raise PublishRefused("does not exist (any more)")
    video = locks.lock_video(row["video_id"]) if row["video_id"] else None
    tasks = locks.lock_tasks([row["task_id"]]) if row["task_id"] else []
    (receipt,) = locks.lock_receipts([receipt_id])
    return video, (tasks[0] if tasks else None), receipt


def _require_channel(editor, receipt: PublishReceipt) -> channels.Channel:
    channel = channels.get(receipt.channel)
    if channel is None:
        raise PublishRefused(unconfigured(receipt.channel))
    if not editor.has_perm(channel.permission):
        raise PublishRefused(f"you may not publish to {channel.label}", forbidden=True)
    return channel


def retry_publish(*, receipt_ids, editor) -> Outcome:
    """Queue failed publishes again, now, with fresh attempts and the same key."""
    return _for_each_receipt(receipt_ids, editor, RETRY_PERMISSION, _retry_one)


def _retry_one(receipt_id, editor) -> None:
    with transaction.atomic():
        video, task, receipt = _lock_receipt_family(receipt_id)
        _require_channel(editor, receipt)
        failed = task is not None and task.status == TaskStatus.FAILED
        if receipt.status != PublishStatus.FAILED or not failed:
            raise PublishRefused(f"not a failed publish (it is {receipt.status})")
        if video is None or video.status not in (VideoStatus.APPROVED, VideoStatus.PUBLISHED):
            raise PublishRefused("its video is no longer approved")
        problem = clearance.clearance_problem(video.pk)
        if problem:
            raise PublishRefused(problem)
        move_task(task, TaskStatus.QUEUED, attempts=0, not_before=timezone.now())


def cancel_publish(*, receipt_ids, editor) -> Outcome:
    """Cancel scheduled (not yet running) or failed publishes. A video left
    with nothing to publish and nothing published goes back to ready."""
    return _for_each_receipt(receipt_ids, editor, CANCEL_PERMISSION, _cancel_one)


def _cancel_one(receipt_id, editor) -> None:
    with transaction.atomic():
        video, task, receipt = _lock_receipt_family(receipt_id)
        _require_channel(editor, receipt)
        cancellable = (
            (PublishStatus.PENDING, TaskStatus.QUEUED),
            (
                PublishStatus.FAILED,
                TaskStatus.FAILED,
            ),
        )
        if task is None or (receipt.status, task.status) not in cancellable:
            state = f"{receipt.status}, task {task.status}" if task else receipt.status
            raise PublishRefused(f"neither scheduled nor failed ({state})")
        cancel_locked([task], f"Cancelled by {editor.get_username()}.")
        if video is not None:
            back_to_ready_if_idle(video, from_status=VideoStatus.APPROVED)


def retract_publish(*, receipt_ids, editor) -> Outcome:
    """Take published videos down from their channels (the adapter's retract)."""
    return _for_each_receipt(receipt_ids, editor, RETRACT_PERMISSION, _retract_one)


def _retract_one(receipt_id, editor) -> None:
    receipt = PublishReceipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        raise PublishRefused("does not exist (any more)")
    _require_channel(editor, receipt)
    try:
        retract_receipt(receipt, f"Retracted by {editor.get_username()}.")
    except ChannelFailure as failure:
        raise PublishRefused(f"the channel did not retract it: {failure}") from None


def retract_receipt(receipt: PublishReceipt, note: str) -> None:
    """Call the channel, then record. Retracting is idempotent at the channel,
    so two editors retracting at once both succeed there and one records."""
    if receipt.status != PublishStatus.PUBLISHED:
        raise PublishRefused(f"not published (it is {receipt.status})")
    channel = channels.get(receipt.channel)
    if channel is None:
        raise PublishRefused(unconfigured(receipt.channel))
    try:
        channel.adapter.retract(
            Retraction(
                str(receipt.pk), receipt.channel, str(receipt.video_id), receipt.remote_id or ""
            )
        )
    except ChannelFailure:
        raise
    except Exception as error:  # noqa: BLE001 - an adapter's bug is a refusal, not a 500
        log.exception("Channel %s failed to retract receipt %s", channel.name, receipt.pk)
        raise TemporaryFailure(
            f"The channel's adapter raised {type(error).__name__} (the log has more)."
        ) from None
    with transaction.atomic():
        video = locks.lock_video(receipt.video_id) if receipt.video_id else None
        (receipt,) = locks.lock_receipts([receipt.pk])
        if receipt.status != PublishStatus.PUBLISHED:
            raise PublishRefused(f"already {receipt.status}")
        receipt.status = PublishStatus.RETRACTED
        receipt.error = note
        receipt.timestamp = timezone.now()
        receipt.save(update_fields=["status", "error", "timestamp"])
        if video is not None:
            back_to_ready_if_idle(video, from_status=VideoStatus.PUBLISHED)
