"""Delivery, the worker's side of publishing (publishing/worker.py runs it).

Workers lease due tasks (`claim_due`) and publish them (`publish_task`): the
channel is called outside any transaction, with the receipt's id as
idempotency key, and the outcome recorded after. Between tasks the worker
sweeps: approvals whose video changed are void, receipts catch up with tasks
ended elsewhere, and changed files lapse clearances (publishing/lapses.py).

The video's path: approved → published (the first channel that succeeds). An
approval is void, and the video back to ready, when its title or persona
change before publishing, or when every channel of it is cancelled without
one having published.
"""

import contextlib
import dataclasses
import functools
import logging
import time

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from publishing import changes, channels, locks
from publishing.channels import (
    ChannelFailure,
    Manifest,
    ManifestArtifact,
    PermanentFailure,
    TemporaryFailure,
)
from publishing.lapses import lapse_after_approval
from publishing.models import PublishReceipt, PublishStatus
from publishing.payload import Approval
from publishing.payload import parse as parse_payload
from publishing.receipts import retract_receipt
from publishing.transitions import (
    back_to_ready_if_idle,
    backoff,
    cancel_locked,
    lease,
    max_attempts,
    move_task,
    unconfigured,
)
from safety import clearance
from videos import storage
from videos.models import Task, TaskStatus, Video, VideoStatus

log = logging.getLogger(__name__)

VIDEO_RETRIES = 5


class ApprovalVoid(Exception):
    """The video or its files changed since the approval. `files`: a file
    that goes out changed, so the safety clearance lapses too."""

    def __init__(self, message: str, *, files: bool = False):
        super().__init__(message)
        self.files = files


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
            due = locks.lock_due(now, limit - len(claimed), skip=seen)
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
        stopped = f"Gave up: the worker publishing it stopped {task.attempts} times."
        _give_up(task, stopped, now=now)
        return None
    move_task(
        task,
        TaskStatus.RUNNING,
        attempts=task.attempts + 1,
        leased_by=worker,
        lease_expires_at=now + lease(),
    )
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
        # Only the columns a move writes: the payload (or a date) may be unreadable.
        task = (
            Task.objects.filter(live, pk=task_id)
            .only("pk", "state_version", "status", "last_error", "leased_by", "lease_expires_at")
            .select_for_update()
            .first()
        )
        if task is None:
            return False  # finished meanwhile, or another worker holds it
        move_task(task, TaskStatus.FAILED, reason=reason, now=now)
    log.error("Task %s failed: %s", task_id, reason)
    return True


def renew_lease(*, task_id, worker: str) -> bool:
    """Extend `worker`'s lease on a task it is publishing; False if it lost it.

    Lease columns are not state: this bumps no version and writes no history.
    """
    return bool(
        Task.objects.filter(pk=task_id, status=TaskStatus.RUNNING, leased_by=worker).update(
            lease_expires_at=timezone.now() + lease()
        )
    )


def publish_task(*, task_id, worker: str, calling=contextlib.nullcontext) -> str:
    """Publish one task `worker` leased to its channel, and record what happened.

    Checks again, right before calling the channel, that the video is still
    cleared and approved as it was; a video rejected meanwhile never reaches a
    channel, and changed files void the approval. Returns what happened:
    published, retry, failed, cancelled, void or lost (the lease moved on).

    `calling()` is held around the call and what must come right before it,
    and around nothing else: the worker's slot for a channel call
    (PUBLISH_CONCURRENCY). The whole check runs before the task waits for a
    slot (`_check`); in the slot, one query confirms that nothing it read in
    the database changed (`_call_if_unchanged`), or the whole check runs again
    there. Reading the task before and recording the outcome after run
    outside the slot too, while other tasks' calls use the slots.
    """
    receipt = _read_claimed(task_id=task_id, worker=worker)
    if isinstance(receipt, str):
        return receipt
    checked = _check(task_id=task_id, receipt=receipt, worker=worker)
    if isinstance(checked, Ready):
        with calling():
            checked = _call_if_unchanged(checked, worker=worker)
    return checked()


def _read_claimed(*, task_id, worker: str) -> PublishReceipt | str:
    """The claimed task's receipt, or what happened instead: lost
    (the lease moved on), failed (not a task an approval made), published (the
    channel published it before the worker that called could record it)."""
    task = Task.objects.get(pk=task_id)
    if task.status != TaskStatus.RUNNING or task.leased_by != worker:
        return "lost"
    receipt = PublishReceipt.objects.filter(task=task).first()
    if receipt is None:
        _give_up(task, "This publish task was not made by an approval (it has no receipt).")
        return "failed"
    approved = parse_payload(task.payload)
    if approved.problem:
        _give_up(task, approved.problem)
        return "failed"
    if receipt.status == PublishStatus.PUBLISHED:
        # Published before the worker that did it could record the task.
        _record_success(task, receipt, remote_id=receipt.remote_id, worker=worker)
        return "published"
    return receipt


# How long the S3 answers of a check made before its task waited for a call
# slot may serve the call; older, the slot runs the whole check again.
#
# Why asking S3 a slot-wait before the call is acceptable: the manifest's
# presigned URLs are not pinned to an ETag, and a channel fetches the files
# during its call or after it, so an object overwritten in place after S3 was
# asked reaches the channel however close to the call the asking was. The
# HEAD never closed that window (only a channel comparing the manifest's ETags
# with what it downloads does); it decides where the window opens. The wait
# moves that by at most this long, about one call of a slow channel (a
# worker holds at most twice its slots in tasks). Everything the database
# says (a rejection, a lapse, changed files, the lease, another receipt) is
# confirmed in the slot, right before the call, as before.
S3_ANSWERS_KEEP_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class Ready:
    """A task its checks found publishable: the call to make, and what the
    checks read in the database (`seen`: `_state`'s row) and when S3 answered."""

    task: Task
    receipt: PublishReceipt
    channel: channels.Channel
    manifest: Manifest
    seen: tuple
    asked_s3_at: float  # time.monotonic()


def _check(*, task_id, receipt: PublishReceipt, worker: str):
    """Every check on the task and video as they are now, the S3 HEADs
    included: Ready, or how to record why not (a function of no arguments
    returning the outcome). The database is read in one snapshot, so `seen`
    names exactly what the checks saw (the approval too: the task's payload
    as read here). Nothing here writes."""
    with _snapshot():
        seen = _state(task_id=task_id, channel=receipt.channel)
        task = Task.objects.select_related("video__persona").get(pk=task_id)
        if task.status != TaskStatus.RUNNING or task.leased_by != worker:
            return lambda: "lost"
        parsed = parse_payload(task.payload)
        if parsed.problem:
            return functools.partial(_failed, task, parsed.problem)
        # The last column: the channel's published receipts of the video.
        problem = _not_publishable(task, published=seen[-1] or [])
        if problem:
            return functools.partial(_cancelled, task, receipt, problem)
        current = clearance.publish_set(task.video_id)
    channel = channels.get(receipt.channel)
    if channel is None:
        failure = PermanentFailure(unconfigured(receipt.channel))
        return functools.partial(_record_failure, task, receipt, failure, worker)
    asked_s3_at = time.monotonic()
    try:
        manifest = _manifest(task, receipt, parsed.approval, current)
    except ApprovalVoid as void:
        return functools.partial(_voided, task, receipt, void)
    except ChannelFailure as failure:
        return functools.partial(_record_failure, task, receipt, failure, worker)
    return Ready(task, receipt, channel, manifest, seen, asked_s3_at)


def _call_if_unchanged(ready: Ready, *, worker: str):
    """In the call slot: the call, if nothing the checks read in the database
    changed since (one query) and S3 answered lately; else the whole check
    again first, here. Returns how to record the outcome."""
    fresh = time.monotonic() - ready.asked_s3_at <= S3_ANSWERS_KEEP_SECONDS
    if not fresh or _state(task_id=ready.task.pk, channel=ready.receipt.channel) != ready.seen:
        checked = _check(task_id=ready.task.pk, receipt=ready.receipt, worker=worker)
        if not isinstance(checked, Ready):
            return checked
        ready = checked
    return _call(ready, worker=worker)


def _call(ready: Ready, *, worker: str):
    """The channel call; returns how to record its outcome."""
    task, receipt = ready.task, ready.receipt
    try:
        remote_id = ready.channel.adapter.publish(ready.manifest)
    except ChannelFailure as failure:
        return functools.partial(_record_failure, task, receipt, failure, worker)
    except Exception as error:  # noqa: BLE001 - an adapter's bug must not kill the worker
        log.exception("Channel %s failed on task %s", ready.channel.name, task.pk)
        # Only the kind for staff: an adapter's own message may hold its URL or token.
        failure = TemporaryFailure(
            f"The channel's adapter raised {type(error).__name__} (the worker's log has more)."
        )
        return functools.partial(_record_failure, task, receipt, failure, worker)
    return functools.partial(
        _record_success, task, receipt, remote_id=remote_id, worker=worker, seen=ready.seen
    )


@contextlib.contextmanager
def _snapshot():
    """A read-only transaction in which every read sees one snapshot of the
    database (REPEATABLE READ): `_state` read first names what the rest saw."""
    if connection.in_atomic_block:
        # Inside a caller's transaction (a test's) the isolation is the caller's.
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


# Everything the checks read in the database for one task, as one row, in one
# round trip: the task and its lease, the video and persona, the video's
# safety reports and moderators' approvals, its files and their outbox, and
# the channel's published receipts of the video. Equal rows, equal answers:
# it mirrors what `_not_publishable` (with `safety.clearance.clearance_problem`),
# `changes.content_changes` and `_manifest` read, so a check that comes to
# read more must add it here (tests/publishing/test_call_slot.py checks the
# tables). Rows are compared as text (`ROW(...)::text` tells NULL from
# empty), digested per table.
_STATE = """
SELECT t.status, t.leased_by, t.state_version, t.video_id, md5(t.payload::text),
       v.status, v.state_version, v.title, v.persona_id, p.name,
       -- From here to the published receipts: what the clearance reads (_CLEARANCE_COLUMNS).
       (SELECT md5(string_agg(ROW(r.report_id, r.requires_human_review, r.review_status,
                                  r.created_at)::text, ',' ORDER BY r.report_id))
          FROM safety_reports r JOIN tasks rt ON rt.task_id = r.task_id
         WHERE rt.video_id = t.video_id),
       (SELECT md5(string_agg(a::text, ',' ORDER BY a.id))
          FROM safety_review_actions a JOIN safety_reports r ON r.report_id = a.report_id
          JOIN tasks rt ON rt.task_id = r.task_id
         WHERE rt.video_id = t.video_id AND a.kind = 'approve'),
       (SELECT md5(string_agg(ROW(f.artifact_id, f.kind, f.s3_path, f.created_at)::text, ','
                              ORDER BY f.artifact_id))
          FROM artifacts f WHERE f.video_id = t.video_id),
       (SELECT md5(string_agg(ROW(c.id, c.operation, c.changed_at)::text, ',' ORDER BY c.id))
          FROM safety_artifact_changes c WHERE c.video_id = t.video_id),
       -- The end of what the clearance reads.
       (SELECT array_agg(o.publish_id ORDER BY o.publish_id) FROM publish_receipts o
         WHERE o.video_id = t.video_id AND o.channel = %s AND o.status = 'published')
  FROM tasks t
  LEFT JOIN videos v ON v.video_id = t.video_id
  LEFT JOIN personas p ON p.persona_id = v.persona_id
 WHERE t.task_id = %s
"""


# `_STATE`'s columns that `clearance.clearance_problem` reads (without S3's
# ETags): the video's reports, moderators' approvals, files and their outbox,
# marked in the query (tests/publishing/test_call_slot.py rejects the video
# and replaces a file during a call: both must be seen).
_CLEARANCE_COLUMNS = slice(10, 14)


def _state(*, task_id, channel: str) -> tuple | None:
    """`_STATE`'s row for the task (None when the task is gone)."""
    with connection.cursor() as cursor:
        cursor.execute(_STATE, [channel, task_id])
        return cursor.fetchone()


def _failed(task: Task, problem: str) -> str:
    _give_up(task, problem)
    return "failed"


def _cancelled(task: Task, receipt: PublishReceipt, problem: str) -> str:
    _cancel(task, receipt, problem)
    return "cancelled"


def _voided(task: Task, receipt: PublishReceipt, void: ApprovalVoid) -> str:
    reason = f"The approval is void: {void}."
    _cancel(task, receipt, reason)
    void_approval(task=task, reason=reason)
    if void.files:
        lapse_after_approval(video_id=task.video_id, change=str(void))
    return "void"


def _not_publishable(task: Task, *, published: list) -> str | None:
    """Why the task's video may not go out, or None. `published`: the ids of
    the receipts that published it on the task's channel already."""
    video = task.video
    if video is None:
        return "The task names no video."
    if video.status not in (VideoStatus.APPROVED, VideoStatus.PUBLISHED):
        return f"Not published: the video is {video.get_status_display().lower()}, not approved."
    problem = clearance.clearance_problem(video.pk, etags=changes.approved_etags(task.payload))
    if problem:
        return f"Not published: {problem}"
    if published:
        return f"Not published: receipt {published[0]} already published it there."
    return None


def _manifest(task: Task, receipt: PublishReceipt, approved: Approval, current) -> Manifest:
    """What the call sends: the files that go out (`current`, the publish
    set), each confirmed in S3 with the ETag approved, and a URL to fetch it."""
    changed = changes.content_changes(task, current, approved)
    if changed:
        raise ApprovalVoid(changed, files=changed == changes.FILES_CHANGED)
    files = []
    try:
        infos = storage.object_infos(current, fresh=True)
        for artifact in current:
            info = infos[artifact.pk].result()
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


def _record_success(
    task: Task, receipt: PublishReceipt, *, remote_id: str, worker: str, seen: tuple | None = None
) -> str:
    """The channel published: the receipt says so, the task succeeded, the video
    is published. What the channel did is recorded even if the task was
    cancelled meanwhile: it is out there. Returns "published".

    `seen`: `_STATE`'s row the checks confirmed right before the call, when
    there was one (see `_retract_if_rejected`)."""
    now = timezone.now()
    with transaction.atomic():
        (task,) = locks.lock_tasks([task.pk])
        (receipt,) = locks.lock_receipts([receipt.pk])
        if receipt.status != PublishStatus.PUBLISHED:
            _mark_receipt_published(receipt, remote_id, now)
        move_task(task, TaskStatus.SUCCEEDED, now=now)
    log.info("Published video %s to %s as %s", task.video_id, receipt.channel, remote_id)
    if receipt.status == PublishStatus.PUBLISHED:
        _mark_video_published(task.video_id, now)
        _retract_if_rejected(receipt, task_id=task.pk, seen=seen)
    return "published"


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


def _retract_if_rejected(receipt: PublishReceipt, *, task_id, seen: tuple | None) -> None:
    """A rejection that landed while the channel was publishing: take it down again.

    With `seen`, the checks found the video cleared right before the call on
    that row: when what the clearance reads is the same now (one query),
    it is still cleared, and `clearance_problem` is not asked again."""
    if seen is not None:
        now = _state(task_id=task_id, channel=receipt.channel)
        if now is not None and now[_CLEARANCE_COLUMNS] == seen[_CLEARANCE_COLUMNS]:
            return
    if clearance.clearance_problem(receipt.video_id) is None:
        return
    try:
        note = "Retracted at once: the video was rejected while it was published."
        retract_receipt(receipt, note)
    except ChannelFailure as failure:
        log.error("Could not retract rejected video %s: %s", receipt.video_id, failure)


def _record_failure(task, receipt, failure: ChannelFailure, worker: str) -> str:
    """Retry later with backoff, or fail for good when the failure is
    permanent or the attempts are used up."""
    now = timezone.now()
    message = str(failure) or type(failure).__name__
    with transaction.atomic():
        (task,) = locks.lock_tasks([task.pk])
        if task.status != TaskStatus.RUNNING or task.leased_by != worker:
            return "lost"
        if failure.retryable and task.attempts < max_attempts():
            not_before = now + backoff(task.attempts)
            move_task(task, TaskStatus.QUEUED, reason=message, now=now, not_before=not_before)
            log.warning("Publishing task %s failed, retrying: %s", task.pk, message)
            return "retry"
        _give_up(task, message, now=now)
    log.error("Publishing task %s failed for good: %s", task.pk, message)
    return "failed"


def _give_up(task: Task, message: str, *, now=None) -> None:
    """Fail a task and its receipt for good: no more attempts."""
    with transaction.atomic():
        (task,) = locks.lock_tasks([task.pk])
        move_task(task, TaskStatus.FAILED, reason=message, now=now)


def _cancel(task: Task, receipt: PublishReceipt, reason: str) -> None:
    with transaction.atomic():
        (task,) = locks.lock_tasks([task.pk])
        locks.lock_receipts([receipt.pk])
        cancel_locked([task], reason)


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
        video = locks.lock_video(task.video_id)
        tasks = locks.lock_tasks(
            locks.publish_tasks()
            .filter(video_id=task.video_id, status__in=[TaskStatus.QUEUED, TaskStatus.FAILED])
            .filter(same_approval)
            .values("pk")
        )
        locks.lock_receipts(
            PublishReceipt.objects.filter(task__in=[t.pk for t in tasks]).values("pk")
        )
        cancel_locked(tasks, reason)
        back_to_ready_if_idle(video, from_status=VideoStatus.APPROVED)
    log.info("Video %s: %s", task.video_id, reason)
    return bool(tasks)


def void_changed_approvals() -> int:
    """Void approvals whose video changed in the database since (title, persona,
    files): the worker runs this between tasks, so the video is back in the
    ready list within seconds rather than at its publishing time.

    Each task on its own: one whose row or payload cannot be read fails with
    the reason, one whose voiding fails is logged, and the others go on."""
    waiting = locks.publish_tasks().filter(status=TaskStatus.QUEUED)
    tasks = _readable(waiting.select_related("video"))
    parsed = {task.pk: parse_payload(task.payload) for task in tasks}
    for task in tasks:
        if parsed[task.pk].problem:
            _isolated(fail_task, task_id=task.pk, reason=parsed[task.pk].problem)
    approvals = [t for t in tasks if t.video is not None and parsed[t.pk].approval]
    files = clearance.publish_sets({task.video_id for task in approvals})
    voided = set()
    for task in approvals:
        if task.video_id in voided:
            continue
        approved = parsed[task.pk].approval
        changed = changes.content_changes(task, files.get(task.video_id, []), approved)
        reason = f"The approval is void: {changed}."
        if changed and _isolated(void_approval, task=task, reason=reason) is not None:
            voided.add(task.video_id)
    return len(voided)


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
