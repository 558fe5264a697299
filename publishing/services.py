"""Publishing operations. Each owns its transaction, its checks and its effects.

An editor's approval (`approve_publish`) makes one publish task and one
pending receipt per channel and moves the video to approved. Workers
(publishing/worker.py) lease due tasks (`claim_due`) and publish them
(`publish_task`): the channel is called outside any transaction, with the
receipt's id as idempotency key, and the outcome recorded after. Editors retry,
cancel and retract. Video writes are guarded and retried on conflicts; row
locks come from publishing/queue.py, in its order.

The video's path: ready → approved (approval) → published (the first channel
that succeeds). An approval is void, and the video back to ready, when its
title, persona or files change before publishing, or when every channel of it
is cancelled without one having published. A published video retracted from
every channel is ready again.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from publishing import approval, channels, queue
from publishing.channels import (
    Manifest,
    ManifestArtifact,
    PermanentFailure,
    PublishFailure,
    Retraction,
    TemporaryFailure,
)
from publishing.models import PublishReceipt, PublishStatus
from videos import storage
from videos.models import Artifact, Task, TaskStatus, TaskType, Video, VideoStatus

log = logging.getLogger(__name__)

APPROVE_PERMISSION = "publishing.approve_publish"
RETRY_PERMISSION = "publishing.retry_publish"
CANCEL_PERMISSION = "publishing.cancel_publish"
RETRACT_PERMISSION = "publishing.retract_publish"

VIDEO_RETRIES = 5
LEASE_FIELDS = ("leased_by", "lease_expires_at")
LONGEST_BACKOFF = timedelta(hours=1)
# How long ago "now" may be when an editor picks a time: the page took a moment.
SCHEDULE_GRACE = timedelta(minutes=2)


class PublishRefused(Exception):
    """A publishing operation that cannot happen; the message tells the person why.

    `conflict` marks refusals caused by someone or something acting first (409),
    `forbidden` those the person's permissions decide (403).
    """

    def __init__(self, message: str, *, conflict: bool = False, forbidden: bool = False):
        super().__init__(message)
        self.message = message
        self.conflict = conflict
        self.forbidden = forbidden


class ApprovalVoid(Exception):
    """The video or its files changed since the approval."""


@dataclass
class Outcome:
    """What an editor's operation on several receipts did to each."""

    done: list = field(default_factory=list)
    refused: dict = field(default_factory=dict)  # receipt id -> why


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def lease() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: doubling, at most an hour."""
    seconds = settings.PUBLISH_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), LONGEST_BACKOFF)


# Approval


def approve_publish(
    *,
    video_id,
    editor,
    channel_names: list[str],
    video_version: int,
    artifacts_seen: str,
    not_before: datetime | None = None,
) -> list[PublishReceipt]:
    """Approve a ready video for `channel_names`, now or at `not_before`.

    Guarded on the video's version and the files the editor's page showed
    (`artifacts_seen`, an `approval.fingerprint`): anything that changed since
    is refused, as are uncleared reports, channels already published to and
    channels the editor may not publish to. Returns the pending receipts.
    """
    _require(editor, APPROVE_PERMISSION)
    now = timezone.now()
    chosen = _channels_for(editor, channel_names)
    when = _schedule(not_before, now)
    files = approval.publish_set(video_id)
    if approval.fingerprint(files) != artifacts_seen:
        raise PublishRefused(
            "The video's files changed since the page loaded; reload and check them again.",
            conflict=True,
        )
    etags = _etags(files)
    with transaction.atomic():
        video = _lock_video(video_id)
        _check_approvable(video, video_version, chosen)
        if approval.fingerprint(approval.publish_set(video_id)) != artifacts_seen:
            raise PublishRefused("The video's files changed a moment ago; reload.", conflict=True)
        video.status = VideoStatus.APPROVED
        video.save(update_fields=["status"])
        return [
            _schedule_channel(video, channel, editor, files, etags, when, now) for channel in chosen
        ]


def _channels_for(editor, names) -> list[channels.Channel]:
    names = list(dict.fromkeys(names))
    if not names:
        raise PublishRefused("Choose at least one channel.")
    configured = channels.configured()
    chosen = []
    for name in names:
        channel = configured.get(name)
        if channel is None:
            raise PublishRefused(f"There is no channel {name!r} (PUBLISH_CHANNELS).")
        if not editor.has_perm(channel.permission):
            raise PublishRefused(f"You may not publish to {channel.label}.", forbidden=True)
        chosen.append(channel)
    return chosen


def schedule_problem(not_before: datetime | None, now: datetime) -> str | None:
    """Why a publish cannot be scheduled for `not_before`, or None.

    The window is from now (less `SCHEDULE_GRACE`) to `PUBLISH_SCHEDULE_MAX_DAYS`
    ahead: a far time (year 9999 at -14:00 is past year 10,000 in UTC) would be
    stored where no reader can load it again, and stop the worker's sweep."""
    if not_before is None:
        return None
    latest = now + timedelta(days=settings.PUBLISH_SCHEDULE_MAX_DAYS)
    too_late = (
        f"Publishing can be scheduled at most {settings.PUBLISH_SCHEDULE_MAX_DAYS} days "
        f"ahead: the latest allowed time is {_shown(latest)}."
    )
    passed = f"{not_before:%Y-%m-%d %H:%M} has passed: choose a later time, or publish now."
    try:
        utc = not_before.astimezone(UTC)
    except OverflowError:
        # Beyond the calendar's edge in UTC: year 9999 at -14:00, or year 1 at +14:00.
        return too_late if not_before.year > 1 else passed
    if utc > latest:
        return too_late
    if utc < now - SCHEDULE_GRACE:
        return passed
    return None


def _schedule(not_before: datetime | None, now: datetime) -> datetime:
    problem = schedule_problem(not_before, now)
    if problem:
        raise PublishRefused(problem)
    return now if not_before is None else max(not_before, now)


def _shown(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"


def _etags(files: list[Artifact]) -> dict:
    """What S3 holds for each file now (not from a cache): its ETag, by artifact id."""
    if not any(a.kind == approval.REQUIRED_KIND for a in files):
        raise PublishRefused("The video has no render to publish.")
    etags = {}
    for artifact in files:
        try:
            info = storage.object_info(artifact, fresh=True)
        except storage.StorageUnavailable as error:
            raise PublishRefused(f"{error} Nothing was approved; try again.") from None
        except storage.InvalidS3Path as error:
            raise PublishRefused(f"The {artifact.kind} cannot be published: {error}") from None
        if info is None:
            raise PublishRefused(f"The {artifact.kind} file {artifact.s3_path} is missing in S3.")
        etags[artifact.pk] = info.etag
    return etags


def _lock_video(video_id) -> Video:
    try:
        return queue.lock_video(video_id)
    except Video.DoesNotExist:
        raise PublishRefused("That video does not exist (any more).") from None


def _check_approvable(video: Video, version_seen: int, chosen) -> None:
    if video.state_version != version_seen:
        raise PublishRefused(
            f"This video changed since the page loaded (you saw version {version_seen}, it is "
            f"now at version {video.state_version}); reload and check it again.",
            conflict=True,
        )
    if video.status != VideoStatus.READY:
        raise PublishRefused(
            f"This video is {video.get_status_display().lower()}, not ready to publish.",
            conflict=True,
        )
    problem = approval.uncleared_reason(video.pk)
    if problem:
        raise PublishRefused(f"{problem} It cannot be approved.")
    published = set(
        PublishReceipt.objects.filter(
            video=video, channel__in=[c.name for c in chosen], status=PublishStatus.PUBLISHED
        ).values_list("channel", flat=True)
    )
    if published:
        labels = ", ".join(c.label for c in chosen if c.name in published)
        raise PublishRefused(f"This video is already published to {labels}.", conflict=True)


def _schedule_channel(video, channel, editor, files, etags, when, now) -> PublishReceipt:
    receipt_id = uuid.uuid4()
    task = Task.objects.create(
        video=video,
        type=TaskType.PUBLISH,
        status=TaskStatus.QUEUED,
        not_before=when,
        payload=publish_payload(
            video=video,
            channel=channel.name,
            receipt_id=receipt_id,
            editor=editor,
            files=files,
            etags=etags,
            when=when,
            now=now,
        ),
    )
    return PublishReceipt.objects.create(
        id=receipt_id,
        video=video,
        channel=channel.name,
        status=PublishStatus.PENDING,
        task=task,
        timestamp=now,
    )


def publish_payload(*, video, channel: str, receipt_id, editor, files, etags, when, now) -> dict:
    """A publish task's payload: what was approved, by whom, for when. The worker
    publishes only if the video and its files are still what it names."""
    return {
        "channel": channel,
        "receipt_id": str(receipt_id),
        "not_before": when.isoformat(),
        "approved_by": {"id": editor.pk, "username": editor.get_username()},
        "approved_at": now.isoformat(),
        "video_version": video.state_version,
        "title": video.title,
        "persona_id": str(video.persona_id) if video.persona_id else None,
        "artifacts": [
            {"id": str(a.pk), "kind": a.kind, "s3_path": a.s3_path, "etag": etags[a.pk]}
            for a in files
        ],
    }


# The worker's side


def claim_due(*, worker: str, limit: int = 1) -> list[Task]:
    """Lease up to `limit` due publish tasks to `worker`, in one short transaction.

    A task whose lease ran out was being published by a worker that died: it
    is claimed again (the channel sees the same idempotency key), unless it
    has used all its attempts, then it fails.
    """
    now = timezone.now()
    claimed = []
    with transaction.atomic():
        for task in queue.lock_due(now, limit):
            if task.status == TaskStatus.RUNNING and task.attempts >= max_attempts():
                _finish(
                    task,
                    f"Gave up: the worker publishing it stopped {task.attempts} times.",
                    now=now,
                )
                continue
            task.status = TaskStatus.RUNNING
            task.attempts += 1
            task.leased_by = worker
            task.lease_expires_at = now + lease()
            task.save(update_fields=["status", "attempts", "leased_by", "lease_expires_at"])
            claimed.append(task)
    return claimed


def max_attempts() -> int:
    return settings.PUBLISH_MAX_ATTEMPTS


def renew_lease(*, task_id, worker: str) -> bool:
    """Extend `worker`'s lease on a task it is publishing; False if it lost it.

    Lease columns are not state: this bumps no version and writes no history.
    """
    return bool(
        Task.objects.filter(pk=task_id, status=TaskStatus.RUNNING, leased_by=worker).update(
            lease_expires_at=timezone.now() + lease()
        )
    )


def publish_task(*, task_id, worker: str) -> str:
    """Publish one task `worker` leased to its channel, and record what happened.

    Checks again, right before calling the channel, that the video is still
    cleared and approved as it was; a video rejected meanwhile never reaches a
    channel, and changed files void the approval. Returns what happened:
    published, retry, failed, cancelled, void or lost (the lease moved on).
    """
    task = Task.objects.select_related("video__persona").get(pk=task_id)
    if task.status != TaskStatus.RUNNING or task.leased_by != worker:
        return "lost"
    receipt = PublishReceipt.objects.filter(task=task).first()
    if receipt is None or not _is_approval(task.payload):
        _finish(task, "This publish task was not made by an approval (no receipt or payload).")
        return "failed"
    if receipt.status == PublishStatus.PUBLISHED:
        # Published before the worker that did it could record the task.
        _record_success(task, receipt, receipt.remote_id, worker)
        return "published"
    problem = _not_publishable(task, receipt)
    if problem:
        _cancel(task, receipt, problem)
        return "cancelled"
    channel = channels.get(receipt.channel)
    if channel is None:
        _record_failure(task, receipt, PermanentFailure(_unconfigured(receipt.channel)), worker)
        return "failed"
    try:
        manifest = _manifest(task, receipt)
    except ApprovalVoid as void:
        reason = f"The approval is void: {void}."
        _cancel(task, receipt, reason)
        void_approval(task=task, reason=reason)
        return "void"
    except PublishFailure as failure:
        return _record_failure(task, receipt, failure, worker)
    try:
        remote_id = channel.adapter.publish(manifest)
    except PublishFailure as failure:
        return _record_failure(task, receipt, failure, worker)
    except Exception as error:  # noqa: BLE001 - an adapter's bug must not kill the worker
        log.exception("Channel %s failed on task %s", channel.name, task.pk)
        return _record_failure(
            task, receipt, TemporaryFailure(f"{type(error).__name__}: {error}"), worker
        )
    _record_success(task, receipt, remote_id, worker)
    return "published"


def _is_approval(payload) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("artifacts"), list)


def _unconfigured(name: str) -> str:
    return f"The channel {name!r} is not configured (PUBLISH_CHANNELS)."


def _not_publishable(task: Task, receipt: PublishReceipt) -> str | None:
    video = task.video
    if video is None:
        return "The task names no video."
    if video.status not in (VideoStatus.APPROVED, VideoStatus.PUBLISHED):
        return f"Not published: the video is {video.get_status_display().lower()}, not approved."
    problem = approval.uncleared_reason(video.pk)
    if problem:
        return f"Not published: {problem}"
    other = PublishReceipt.objects.filter(
        video=video, channel=receipt.channel, status=PublishStatus.PUBLISHED
    ).first()
    if other is not None:
        return f"Not published: receipt {other.pk} already published it there."
    return None


def _content_changes(task: Task, current: list[Artifact]) -> str | None:
    """What changed in the video since its approval, read from the database."""
    payload = task.payload or {}
    video = task.video
    if payload.get("title") != video.title:
        return "its title changed"
    if payload.get("persona_id") != (str(video.persona_id) if video.persona_id else None):
        return "its persona changed"
    approved = {(a.get("id"), a.get("s3_path")) for a in payload.get("artifacts", [])}
    if approved != {(str(a.pk), a.s3_path) for a in current}:
        return "its files changed"
    return None


def _manifest(task: Task, receipt: PublishReceipt) -> Manifest:
    current = approval.publish_set(task.video_id)
    changed = _content_changes(task, current)
    if changed:
        raise ApprovalVoid(changed)
    approved = {a.get("id"): a.get("etag") for a in task.payload["artifacts"]}
    files = []
    try:
        for artifact in current:
            info = storage.object_info(artifact, fresh=True)
            if info is None:
                raise ApprovalVoid(f"the {artifact.kind} file is missing in S3")
            if info.etag != approved[str(artifact.pk)]:
                raise ApprovalVoid(f"the {artifact.kind} file was replaced in S3")
            url = storage.presigned_url(artifact, for_browser=True)
            files.append(
                ManifestArtifact(
                    str(artifact.pk), artifact.kind, url, info.etag, info.size, info.content_type
                )
            )
    except storage.StorageUnavailable as error:
        raise TemporaryFailure(str(error)) from None
    except storage.InvalidS3Path as error:
        raise PermanentFailure(str(error)) from None
    video = task.video
    persona = video.persona
    return Manifest(
        idempotency_key=str(receipt.pk),
        channel=receipt.channel,
        video_id=str(video.pk),
        title=video.title or "",
        persona={"id": str(persona.pk), "name": persona.name} if persona else {},
        approved_by=(task.payload.get("approved_by") or {}).get("username", ""),
        artifacts=tuple(files),
    )


def _record_success(task: Task, receipt: PublishReceipt, remote_id: str, worker: str) -> None:
    """The channel published: the receipt says so, the task succeeded, the video
    is published. What the channel did is recorded even if the task was
    cancelled meanwhile: it is out there."""
    now = timezone.now()
    with transaction.atomic():
        (task,) = queue.lock_tasks([task.pk])
        (receipt,) = queue.lock_receipts([receipt.pk])
        if receipt.status != PublishStatus.PUBLISHED:
            _mark_receipt_published(receipt, remote_id, now)
        task.status = TaskStatus.SUCCEEDED
        task.last_error = None
        task.leased_by = None
        task.lease_expires_at = None
        task.save(update_fields=["status", "last_error", *LEASE_FIELDS])
    log.info("Published video %s to %s as %s", task.video_id, receipt.channel, remote_id)
    if receipt.status == PublishStatus.PUBLISHED:
        _mark_video_published(task.video_id, now)
        _retract_if_rejected(receipt)


def _mark_receipt_published(receipt: PublishReceipt, remote_id: str, now) -> None:
    receipt.status = PublishStatus.PUBLISHED
    receipt.remote_id = remote_id
    receipt.timestamp = now
    receipt.error = None
    try:
        with transaction.atomic():
            receipt.save(update_fields=["status", "remote_id", "timestamp", "error"])
    except IntegrityError:
        # Another receipt already holds this video's place on the channel.
        other = PublishReceipt.objects.filter(
            video_id=receipt.video_id, channel=receipt.channel, status=PublishStatus.PUBLISHED
        ).first()
        receipt.status = PublishStatus.FAILED
        receipt.error = (
            f"The channel answered {remote_id}, but receipt {other.pk if other else '?'} "
            f"already holds this video's publication there ({other.remote_id if other else '?'}):"
            " check the channel for a duplicate."
        )
        receipt.save(update_fields=["status", "remote_id", "timestamp", "error"])


def _mark_video_published(video_id, at) -> None:
    for _ in range(VIDEO_RETRIES):
        video = Video.objects.get(pk=video_id)
        changes = {}
        if video.status == VideoStatus.APPROVED:
            changes["status"] = VideoStatus.PUBLISHED
        if video.published_at is None and video.status in (
            VideoStatus.APPROVED,
            VideoStatus.PUBLISHED,
        ):
            changes["published_at"] = at
        if not changes:
            return
        if Video.objects.update_guarded({video.pk: video.state_version}, **changes).updated:
            return
    log.warning("Video %s kept changing; its published state was not recorded.", video_id)


def _retract_if_rejected(receipt: PublishReceipt) -> None:
    """A rejection that landed while the channel was publishing: take it down again."""
    if approval.uncleared_reason(receipt.video_id) is None:
        return
    try:
        _retract(receipt, "Retracted at once: the video was rejected while it was published.")
    except PublishFailure as failure:
        log.error("Could not retract rejected video %s: %s", receipt.video_id, failure)


def _record_failure(task, receipt, failure: PublishFailure, worker: str) -> str:
    """Retry later with backoff, or fail for good when the failure is
    permanent or the attempts are used up."""
    now = timezone.now()
    message = str(failure) or type(failure).__name__
    with transaction.atomic():
        (task,) = queue.lock_tasks([task.pk])
        if task.status != TaskStatus.RUNNING or task.leased_by != worker:
            return "lost"
        if failure.retryable and task.attempts < max_attempts():
            task.status = TaskStatus.QUEUED
            task.not_before = now + backoff(task.attempts)
            task.last_error = message
            task.leased_by = task.lease_expires_at = None
            task.save(update_fields=["status", "not_before", "last_error", *LEASE_FIELDS])
            PublishReceipt.objects.filter(pk=receipt.pk).update(error=message)
            log.warning("Publishing task %s failed, retrying: %s", task.pk, message)
            return "retry"
        _finish(task, message, now=now)
    log.error("Publishing task %s failed for good: %s", task.pk, message)
    return "failed"


def _finish(task: Task, message: str, *, now=None) -> None:
    """Fail a task and its receipt for good."""
    now = now or timezone.now()
    with transaction.atomic():
        (task,) = queue.lock_tasks([task.pk])
        task.status = TaskStatus.FAILED
        task.last_error = message
        task.leased_by = task.lease_expires_at = None
        task.save(update_fields=["status", "last_error", *LEASE_FIELDS])
        PublishReceipt.objects.filter(task=task).exclude(status=PublishStatus.PUBLISHED).update(
            status=PublishStatus.FAILED, error=message, timestamp=now
        )


def _cancel(task: Task, receipt: PublishReceipt, reason: str) -> None:
    with transaction.atomic():
        (task,) = queue.lock_tasks([task.pk])
        (receipt,) = queue.lock_receipts([receipt.pk])
        _cancel_locked([task], [receipt], reason)


def _cancel_locked(tasks, receipts, reason: str) -> None:
    now = timezone.now()
    for task in tasks:
        task.status = TaskStatus.CANCELLED
        task.last_error = reason
        task.leased_by = task.lease_expires_at = None
        task.save(update_fields=["status", "last_error", *LEASE_FIELDS])
    for receipt in receipts:
        if receipt.status != PublishStatus.PUBLISHED:
            receipt.status = PublishStatus.FAILED
            receipt.error = reason
            receipt.timestamp = now
            receipt.save(update_fields=["status", "error", "timestamp"])


def void_approval(*, task: Task, reason: str) -> bool:
    """Cancel the publishing of `task`'s approval that has not started, and send
    the video back to ready for a new approval unless a channel published it.

    Tasks a worker is running are left to it: it checks the video again first.
    A later approval of the same video (made since `task` was read) is not touched.
    """
    approved_at = (task.payload or {}).get("approved_at")
    with transaction.atomic():
        video = queue.lock_video(task.video_id)
        tasks = queue.lock_tasks(
            queue.publish_tasks()
            .filter(video_id=task.video_id, status__in=[TaskStatus.QUEUED, TaskStatus.FAILED])
            .filter(payload__approved_at=approved_at)
            .values("pk")
        )
        receipts = queue.lock_receipts(
            PublishReceipt.objects.filter(task__in=[t.pk for t in tasks]).values("pk")
        )
        _cancel_locked(tasks, receipts, reason)
        _back_to_ready_if_idle(video, from_status=VideoStatus.APPROVED)
    log.info("Video %s: %s", task.video_id, reason)
    return bool(tasks)


def _back_to_ready_if_idle(video: Video, *, from_status: str) -> None:
    """A video in `from_status` with no publish scheduled or running and
    published nowhere goes back to ready, so an editor may approve it anew
    (the caller holds its lock). Used after a cancel (from approved) and a
    retract (from published)."""
    if video.status != from_status:
        return
    live = queue.publish_tasks().filter(video=video, status__in=queue.LIVE).exists()
    published = PublishReceipt.objects.filter(video=video, status=PublishStatus.PUBLISHED).exists()
    if not live and not published:
        video.status = VideoStatus.READY
        video.save(update_fields=["status"])


def void_changed_approvals() -> int:
    """Void approvals whose video changed in the database since (title, persona,
    files): the worker runs this between tasks, so the video is back in the
    ready list within seconds rather than at its publishing time."""
    waiting = [
        task
        for task in queue.publish_tasks().filter(status=TaskStatus.QUEUED).select_related("video")
        if task.video is not None and _is_approval(task.payload)
    ]
    files = approval.publish_sets({task.video_id for task in waiting})
    voided = set()
    for task in waiting:
        if task.video_id in voided:
            continue
        changed = _content_changes(task, files.get(task.video_id, []))
        if changed:
            void_approval(task=task, reason=f"The approval is void: {changed}.")
            voided.add(task.video_id)
    return len(voided)


def reconcile_receipts() -> int:
    """Pending receipts whose task was cancelled or failed elsewhere (a
    moderator's rejection, the tasks list) say so."""
    stale = PublishReceipt.objects.filter(
        status=PublishStatus.PENDING, task__status__in=[TaskStatus.CANCELLED, TaskStatus.FAILED]
    ).select_related("task")
    count = 0
    for receipt in stale:
        reason = receipt.task.last_error or f"The publish task was {receipt.task.status}."
        count += PublishReceipt.objects.filter(pk=receipt.pk, status=PublishStatus.PENDING).update(
            status=PublishStatus.FAILED, error=reason, timestamp=timezone.now()
        )
    return count


# Editors: retry, cancel, retract


def _for_each_receipt(receipt_ids, editor, permission, operation) -> Outcome:
    _require(editor, permission)
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
    video = queue.lock_video(row["video_id"]) if row["video_id"] else None
    tasks = queue.lock_tasks([row["task_id"]]) if row["task_id"] else []
    (receipt,) = queue.lock_receipts([receipt_id])
    return video, (tasks[0] if tasks else None), receipt


def _require_channel(editor, receipt: PublishReceipt) -> channels.Channel:
    channel = channels.get(receipt.channel)
    if channel is None:
        raise PublishRefused(_unconfigured(receipt.channel))
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
        problem = approval.uncleared_reason(video.pk)
        if problem:
            raise PublishRefused(problem)
        task.status = TaskStatus.QUEUED
        task.attempts = 0
        task.not_before = timezone.now()
        task.last_error = None
        task.save(update_fields=["status", "attempts", "not_before", "last_error"])
        receipt.status = PublishStatus.PENDING
        receipt.error = None
        receipt.timestamp = timezone.now()
        receipt.save(update_fields=["status", "error", "timestamp"])


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
        _cancel_locked([task], [receipt], f"Cancelled by {editor.get_username()}.")
        if video is not None:
            _back_to_ready_if_idle(video, from_status=VideoStatus.APPROVED)


def retract_publish(*, receipt_ids, editor) -> Outcome:
    """Take published videos down from their channels (the adapter's retract)."""
    return _for_each_receipt(receipt_ids, editor, RETRACT_PERMISSION, _retract_one)


def _retract_one(receipt_id, editor) -> None:
    receipt = PublishReceipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        raise PublishRefused("does not exist (any more)")
    _require_channel(editor, receipt)
    try:
        _retract(receipt, f"Retracted by {editor.get_username()}.")
    except PublishFailure as failure:
        raise PublishRefused(f"the channel did not retract it: {failure}") from None


def _retract(receipt: PublishReceipt, note: str) -> None:
    """Call the channel, then record. Retracting is idempotent at the channel,
    so two editors retracting at once both succeed there and one records."""
    if receipt.status != PublishStatus.PUBLISHED:
        raise PublishRefused(f"not published (it is {receipt.status})")
    channel = channels.get(receipt.channel)
    if channel is None:
        raise PublishRefused(_unconfigured(receipt.channel))
    channel.adapter.retract(
        Retraction(str(receipt.pk), receipt.channel, str(receipt.video_id), receipt.remote_id or "")
    )
    with transaction.atomic():
        video = queue.lock_video(receipt.video_id) if receipt.video_id else None
        (receipt,) = queue.lock_receipts([receipt.pk])
        if receipt.status != PublishStatus.PUBLISHED:
            raise PublishRefused(f"already {receipt.status}")
        receipt.status = PublishStatus.RETRACTED
        receipt.error = note
        receipt.timestamp = timezone.now()
        receipt.save(update_fields=["status", "error", "timestamp"])
        if video is not None:
            _back_to_ready_if_idle(video, from_status=VideoStatus.PUBLISHED)
