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
title or persona change before publishing, or when every channel of it is
cancelled without one having published. A published video retracted from
every channel is ready again. When a file that goes out is not the one its
safety clearance judged (safety.clearance), the clearance lapses
(`lapse_clearance`): approvals are void and the video goes back to review.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import Q
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
from publishing.payload import Approval
from publishing.payload import parse as parse_payload
from safety import clearance
from safety.models import ArtifactChange, ClearanceLapse
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
    """The video or its files changed since the approval. `files`: a file
    that goes out changed, so the safety clearance lapses too."""

    def __init__(self, message: str, *, files: bool = False):
        super().__init__(message)
        self.files = files


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
    _lapse_if_changed(video_id, etags)
    with transaction.atomic():
        video = _lock_video(video_id)
        _check_approvable(video, video_version, chosen, etags=etags)
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


def _lapse_if_changed(video_id, etags: dict) -> None:
    """A file changed since the video was cleared (an upload, a pipeline write,
    an object overwritten in place): the clearance lapses and nothing is approved."""
    problem = clearance.changed_files_problem(video_id, etags=etags)
    if problem and lapse_clearance(video_id=video_id, reason=problem, actor=_changer(video_id)):
        raise PublishRefused(
            f"{problem} It cannot be approved: it went back to safety review.", conflict=True
        )


def _check_approvable(video: Video, version_seen: int, chosen, *, etags=None) -> None:
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
    problem = clearance.clearance_problem(video.pk, etags=etags)
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
    has used all its attempts, then it fails. A task whose row cannot be read
    fails with the reason, and the others are claimed all the same.
    """
    now = timezone.now()
    claimed, seen = [], set()
    with transaction.atomic():
        # Until `limit` are claimed: a row that failed instead leaves its place.
        while len(claimed) < limit:
            due = queue.lock_due(now, limit - len(claimed), skip=seen)
            if not due:
                break
            seen.update(due)
            claimed += filter(None, (_claim_one(task_id, worker, now) for task_id in due))
    return claimed


def _claim_one(task_id, worker: str, now) -> Task | None:
    task = _read_or_fail(lambda: Task.objects.get(pk=task_id), task_id=task_id)
    if task is None:
        return None
    if task.status == TaskStatus.RUNNING and task.attempts >= max_attempts():
        _finish(task, f"Gave up: the worker publishing it stopped {task.attempts} times.", now=now)
        return None
    task.status = TaskStatus.RUNNING
    task.attempts += 1
    task.leased_by = worker
    task.lease_expires_at = now + lease()
    task.save(update_fields=["status", "attempts", "leased_by", "lease_expires_at"])
    return task


def _read_or_fail(read, *, task_id):
    """`read()`, or None when the task's row (or one it joins) cannot be
    loaded, say a payload nested deeper than Python reads: the task fails with
    the reason. A database that is down is the caller's problem, not the row's."""
    try:
        with transaction.atomic():
            return read()
    except DatabaseError as error:
        if not isinstance(error, DataError):
            raise
        problem = error
    except Exception as error:  # noqa: BLE001 - a row of any shape must not stop the others
        problem = error
    log.error("Task %s cannot be read: %r", task_id, problem)
    fail_task(task_id=task_id, reason=f"This task's row cannot be read: {unreadable(problem)}")
    return None


def unreadable(error: Exception) -> str:
    """An exception, as staff may read it: its kind and a short message."""
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}" + (f" ({text})" if text else "") + "."


def fail_task(*, task_id, reason: str, worker: str | None = None) -> bool:
    """Fail a queued or running task and its unpublished receipt for good,
    without loading the task: its row may be what cannot be read. With
    `worker`, only while that worker holds the lease. False if nothing changed."""
    now = timezone.now()
    live = Q(status=TaskStatus.QUEUED) | Q(status=TaskStatus.RUNNING)
    if worker is not None:
        live = Q(status=TaskStatus.RUNNING, leased_by=worker)
    with transaction.atomic():
        failed = Task.objects.filter(live, pk=task_id).update(
            status=TaskStatus.FAILED, last_error=reason, leased_by=None, lease_expires_at=None
        )
        if not failed:
            return False  # finished meanwhile, or another worker holds it
        PublishReceipt.objects.filter(task_id=task_id).exclude(
            status=PublishStatus.PUBLISHED
        ).update(status=PublishStatus.FAILED, error=reason, timestamp=now)
    log.error("Task %s failed: %s", task_id, reason)
    return True


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
    if receipt is None:
        _finish(task, "This publish task was not made by an approval (it has no receipt).")
        return "failed"
    approved = parse_payload(task.payload)
    if approved.problem:
        _finish(task, approved.problem)
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
        manifest = _manifest(task, receipt, approved.approval)
    except ApprovalVoid as void:
        reason = f"The approval is void: {void}."
        _cancel(task, receipt, reason)
        void_approval(task=task, reason=reason)
        if void.files:
            lapse_after_approval(video_id=task.video_id, change=str(void))
        return "void"
    except PublishFailure as failure:
        return _record_failure(task, receipt, failure, worker)
    try:
        remote_id = channel.adapter.publish(manifest)
    except PublishFailure as failure:
        return _record_failure(task, receipt, failure, worker)
    except Exception as error:  # noqa: BLE001 - an adapter's bug must not kill the worker
        log.exception("Channel %s failed on task %s", channel.name, task.pk)
        # Only the kind for staff: an adapter's own message may hold its URL or token.
        failure = TemporaryFailure(
            f"The channel's adapter raised {type(error).__name__} (the worker's log has more)."
        )
        return _record_failure(task, receipt, failure, worker)
    _record_success(task, receipt, remote_id, worker)
    return "published"


def _is_approval(payload) -> bool:
    return parse_payload(payload).problem is None


def _unconfigured(name: str) -> str:
    return f"The channel {name!r} is not configured (PUBLISH_CHANNELS)."


def _not_publishable(task: Task, receipt: PublishReceipt) -> str | None:
    video = task.video
    if video is None:
        return "The task names no video."
    if video.status not in (VideoStatus.APPROVED, VideoStatus.PUBLISHED):
        return f"Not published: the video is {video.get_status_display().lower()}, not approved."
    problem = clearance.clearance_problem(video.pk, etags=_approved_etags(task.payload))
    if problem:
        return f"Not published: {problem}"
    other = PublishReceipt.objects.filter(
        video=video, channel=receipt.channel, status=PublishStatus.PUBLISHED
    ).first()
    if other is not None:
        return f"Not published: receipt {other.pk} already published it there."
    return None


def _approved_etags(payload: dict) -> dict:
    """The ETags an approval read (artifact id -> ETag), from its task's payload:
    the clearance check compares them with the ones its moderator saw."""
    return {
        entry["id"]: entry["etag"]
        for entry in payload.get("artifacts", [])
        if isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("etag"), str)
    }


FILES_CHANGED = "its files changed"


def _content_changes(
    task: Task, current: list[Artifact], approved: Approval | None = None
) -> str | None:
    """What changed in the video since its approval, read from the database
    (`approved`: the task's payload, parsed, when the caller has it)."""
    approved = approved or parse_payload(task.payload).approval
    if approved is None:
        return "its approval cannot be read"
    video = task.video
    if approved.title != video.title:
        return "its title changed"
    if approved.persona_id != (str(video.persona_id) if video.persona_id else None):
        return "its persona changed"
    if approved.file_set() != {(str(a.pk), a.s3_path) for a in current}:
        return FILES_CHANGED
    return None


def _manifest(task: Task, receipt: PublishReceipt, approved: Approval) -> Manifest:
    current = approval.publish_set(task.video_id)
    changed = _content_changes(task, current, approved)
    if changed:
        raise ApprovalVoid(changed, files=changed == FILES_CHANGED)
    files = []
    try:
        for artifact in current:
            info = storage.object_info(artifact, fresh=True)
            if info is None:
                raise ApprovalVoid(f"the {artifact.kind} file is missing in S3", files=True)
            if info.etag != approved.etag(artifact.pk):
                raise ApprovalVoid(f"the {artifact.kind} file was replaced in S3", files=True)
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
        approved_by=approved.approved_by,
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
    approved = parse_payload(task.payload).approval
    if approved is not None and approved.approved_at is not None:
        same_approval = Q(payload__approved_at=approved.approved_at)
    else:
        same_approval = Q(pk=task.pk)  # no approval to find its siblings by
    with transaction.atomic():
        video = queue.lock_video(task.video_id)
        tasks = queue.lock_tasks(
            queue.publish_tasks()
            .filter(video_id=task.video_id, status__in=[TaskStatus.QUEUED, TaskStatus.FAILED])
            .filter(same_approval)
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
    ready list within seconds rather than at its publishing time.

    Each task on its own: one whose row or payload cannot be read fails with
    the reason, one whose voiding fails is logged, and the others go on."""
    waiting = queue.publish_tasks().filter(status=TaskStatus.QUEUED)
    tasks = _readable(waiting.select_related("video"))
    parsed = {task.pk: parse_payload(task.payload) for task in tasks}
    for task in tasks:
        if parsed[task.pk].problem:
            _isolated(fail_task, task_id=task.pk, reason=parsed[task.pk].problem)
    approvals = [t for t in tasks if t.video is not None and parsed[t.pk].approval]
    files = approval.publish_sets({task.video_id for task in approvals})
    voided = set()
    for task in approvals:
        if task.video_id in voided:
            continue
        changed = _content_changes(task, files.get(task.video_id, []), parsed[task.pk].approval)
        reason = f"The approval is void: {changed}."
        if changed and _isolated(void_approval, task=task, reason=reason) is not None:
            voided.add(task.video_id)
    return len(voided)


# Clearance lapses

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
        video = queue.lock_video(video_id)
        if video.status not in LAPSABLE:
            return False
        tasks = queue.lock_tasks(
            queue.publish_tasks().filter(video=video, status=TaskStatus.QUEUED).values("pk")
        )
        receipts = queue.lock_receipts(
            PublishReceipt.objects.filter(task__in=[t.pk for t in tasks]).values("pk")
        )
        _cancel_locked(tasks, receipts, f"The approval is void: {reason}")
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
    return lapse_clearance(video_id=video_id, reason=reason, actor=_changer(video_id))


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
                actor = _changer(video_id)
                lapsed += lapse_clearance(video_id=video_id, reason=problem, actor=actor)
        except Exception:  # noqa: BLE001 - one video must not stop the others
            log.exception("Could not lapse the clearance of video %s", video_id)
    ArtifactChange.objects.filter(pk__in=[pk for pk, _ in rows]).update(processed_at=timezone.now())
    return lapsed


def _changer(video_id):
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


def _readable(tasks) -> list[Task]:
    """The tasks of a queryset; when one cannot be loaded, the others are,
    one by one, and it fails with the reason (`_read_or_fail`)."""
    try:
        with transaction.atomic():
            return list(tasks)
    except DatabaseError as error:
        if not isinstance(error, DataError):
            raise
    except Exception:  # noqa: BLE001 - found below, row by row
        pass
    rows = (
        _read_or_fail(lambda pk=pk: tasks.get(pk=pk), task_id=pk)
        for pk in tasks.values_list("pk", flat=True)
    )
    return [task for task in rows if task is not None]


def _isolated(operation, **arguments):
    """One row's operation: what it returns, or None if it failed (logged), so
    the caller goes on with the next row. A database that is down still raises."""
    try:
        return operation(**arguments)
    except DatabaseError as error:
        if not isinstance(error, DataError):
            raise
        log.exception("%s failed on %s", operation.__name__, arguments)
    except Exception:  # noqa: BLE001 - one row must not stop the others
        log.exception("%s failed on %s", operation.__name__, arguments)
    return None


def reconcile_receipts() -> int:
    """Pending receipts whose task was cancelled or failed elsewhere (a
    moderator's rejection, the tasks list) say so. Each on its own."""
    stale = PublishReceipt.objects.filter(
        status=PublishStatus.PENDING, task__status__in=[TaskStatus.CANCELLED, TaskStatus.FAILED]
    ).values_list("pk", "task__last_error", "task__status")
    return sum(
        _isolated(
            _fail_pending_receipt,
            receipt_id=pk,
            reason=last_error or f"The publish task was {status}.",
        )
        or 0
        for pk, last_error, status in stale
    )


def _fail_pending_receipt(*, receipt_id, reason: str) -> int:
    return PublishReceipt.objects.filter(pk=receipt_id, status=PublishStatus.PENDING).update(
        status=PublishStatus.FAILED, error=reason, timestamp=timezone.now()
    )


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
        problem = clearance.clearance_problem(video.pk)
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
    try:
        channel.adapter.retract(
            Retraction(
                str(receipt.pk), receipt.channel, str(receipt.video_id), receipt.remote_id or ""
            )
        )
    except PublishFailure:
        raise
    except Exception as error:  # noqa: BLE001 - an adapter's bug is a refusal, not a 500
        log.exception("Channel %s failed to retract receipt %s", channel.name, receipt.pk)
        raise TemporaryFailure(
            f"The channel's adapter raised {type(error).__name__} (the log has more)."
        ) from None
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
