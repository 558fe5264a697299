"""What safety's verdicts do to publishing: a rejection cancels the video's
publishes, and a lapsed clearance (a reviewed file changed) sends a ready or
approved video back to safety review and cancels its scheduled publishes.

Safety cannot import publishing (publishing imports safety's clearance), so
it announces a rejection (`safety.signals.video_rejected`) and publishing's
AppConfig connects `cancel_rejected_publishes` to it. Approval lapses a video
it finds changed; delivery when the worker finds it; the worker's sweep
drains the artifact outbox (`lapse_changed_clearances`).
"""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from publishing import locks
from publishing.channels import ChannelFailure
from publishing.models import PublishReceipt, PublishStatus
from publishing.receipts import retract_receipt
from publishing.transitions import PublishRefused, cancel_locked
from safety import clearance
from safety.models import ArtifactChange, ClearanceLapse
from videos.models import Task, TaskStatus, TaskType, Video, VideoStatus

log = logging.getLogger(__name__)


REJECTED = "Not published: the video was rejected in safety review."


def cancel_rejected_publishes(*, video_id, **signal) -> int:
    """Cancel a rejected video's scheduled and running publishes; their
    receipts fail at once with the reason. A worker running one finds its task
    cancelled; if its channel published meanwhile, it records that and
    retracts at once. Runs in the rejecting decision's transaction; once that
    commits, the video's published receipts are retracted (a channel call
    must not hold the decision's locks, nor happen if it rolls back)."""
    with transaction.atomic():
        tasks = locks.lock_tasks(
            locks.publish_tasks()
            .filter(video_id=video_id, status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING])
            .values("pk")
        )
        locks.lock_receipts(
            PublishReceipt.objects.filter(task__in=[t.pk for t in tasks]).values("pk")
        )
        cancel_locked(tasks, REJECTED)
    transaction.on_commit(lambda: retract_rejected(video_id=video_id))
    if tasks:
        log.info("Video %s was rejected: %d publishes cancelled", video_id, len(tasks))
    return len(tasks)


RETRACTED = "Retracted: the video was rejected in safety review (a lead's QA verdict)."
RETRACT_BATCH = 100


def retract_rejected(*, video_id=None) -> int:
    """Retract the published receipts of rejected videos (one video's, or, as
    a sweep step, any), each through publishing.receipts' retract, which
    records it on the receipt. A channel that refuses leaves its receipt
    published, logged; every sweep asks it again until it agrees."""
    receipts = PublishReceipt.objects.filter(
        status=PublishStatus.PUBLISHED, video__status=VideoStatus.REJECTED
    )
    if video_id is not None:
        receipts = receipts.filter(video_id=video_id)
    retracted = 0
    for receipt in receipts.order_by("pk")[:RETRACT_BATCH]:
        try:
            retract_receipt(receipt, RETRACTED)
            retracted += 1
        except (ChannelFailure, PublishRefused) as refusal:
            log.warning("Could not retract receipt %s of a rejected video: %s", receipt.pk, refusal)
    return retracted


LAPSABLE = (VideoStatus.READY, VideoStatus.APPROVED)
# Outbox rows the sweep reads at a time.
LAPSE_BATCH = 500


def lapse_clearance(*, video_id, reason: str, actor=None) -> bool:
    """A reviewed file changed: send a ready or approved video back to review.

    Its scheduled publishes are cancelled and their receipts failed with the
    reason; the video goes to producing with a queued safety_check task, so
    the pipeline checks the new files and a moderator reviews them if it asks
    for one; the lapse is recorded (safety's ClearanceLapse) for the pages.
    Publishes a worker is running are left to it: it checks clearance first.
    False when the video is in no state to lapse.
    """
    with transaction.atomic():
        video = locks.lock_video(video_id)
        if video.status not in LAPSABLE:
            return False
        tasks = locks.lock_tasks(
            locks.publish_tasks().filter(video=video, status=TaskStatus.QUEUED).values("pk")
        )
        locks.lock_receipts(
            PublishReceipt.objects.filter(task__in=[t.pk for t in tasks]).values("pk")
        )
        cancel_locked(tasks, f"The approval is void: {reason}")
        video.status = VideoStatus.PRODUCING
        video.save(update_fields=["status"])
        Task.objects.create(
            video=video,
            type=TaskType.SAFETY_CHECK,
            status=TaskStatus.QUEUED,
            payload={"reason": "clearance_lapsed", "detail": reason},
        )
        ClearanceLapse.objects.create(video=video, reason=reason, actor=actor)
    log.warning("Video %s went back to safety review: %s", video_id, reason)
    return True


def lapse_after_approval(*, video_id, change: str) -> bool:
    """A file changed after the video was cleared and approved (the worker found
    it): whatever cleared the video judged another file, so its clearance lapses."""
    reason = f"After the video was cleared and approved, {change}. {clearance.NEEDS_REVIEW}"
    return lapse_clearance(video_id=video_id, reason=reason, actor=changer(video_id))


def lapse_changed_clearances() -> int:
    """Drain the artifact outbox (rows the `artifacts` trigger writes for any
    writer, the pipeline's SQL included): lapse each ready or approved video
    whose files are no longer those cleared. One video failing is logged and
    passed over; the live clearance check keeps refusing it meanwhile."""
    rows = list(
        ArtifactChange.objects.filter(processed_at__isnull=True)
        .order_by("id")
        .values_list("id", "video_id")[:LAPSE_BATCH]
    )
    videos = Video.objects.filter(pk__in={video for _, video in rows}, status__in=LAPSABLE)
    lapsed = 0
    for video_id in videos.values_list("pk", flat=True):
        try:
            problem = clearance.changed_files_problem(video_id)
            if problem:
                actor = changer(video_id)
                lapsed += lapse_clearance(video_id=video_id, reason=problem, actor=actor)
        except Exception:  # noqa: BLE001 - one video must not stop the others
            log.exception("Could not lapse the clearance of video %s", video_id)
    ArtifactChange.objects.filter(pk__in=[pk for pk, _ in rows]).update(processed_at=timezone.now())
    return lapsed


def changer(video_id):
    """The person behind the video's newest file change since it was cleared,
    when an admin request made it (the trigger keeps the request's context)."""
    changes = ArtifactChange.objects.filter(video_id=video_id)
    since = clearance.cleared_at(video_id)
    if since is not None:
        changes = changes.filter(changed_at__gt=since)
    change = changes.order_by("-id").first()
    context = change.context if change else None
    user_id = context.get("user") if isinstance(context, dict) else None
    if type(user_id) is not int:
        return None
    return get_user_model().objects.filter(pk=user_id).first()
