"""What publishing's three audiences share: refusals, permissions, timing, and
the one function that moves a publish task between states.

Approval (publishing/approval.py) makes tasks, delivery (publishing/delivery.py)
runs them, receipts (publishing/receipts.py) are editors' retry, cancel and
retract. A task's state and its receipt change together, always through
`move_task`, so the rule "a task that fails takes its receipt with it" is
written once. Row locks come from publishing/locks.py, in its order.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Value, When
from django.utils import timezone

from publishing import locks
from publishing.models import PublishReceipt, PublishStatus
from videos.models import Task, TaskStatus, Video, VideoStatus

APPROVE_PERMISSION = "publishing.approve_publish"
RETRY_PERMISSION = "publishing.retry_publish"
CANCEL_PERMISSION = "publishing.cancel_publish"
RETRACT_PERMISSION = "publishing.retract_publish"

LEASE_FIELDS = ("leased_by", "lease_expires_at")
LONGEST_BACKOFF = timedelta(hours=1)
ENDED = (TaskStatus.FAILED, TaskStatus.CANCELLED)


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


@dataclass
class Outcome:
    """What an editor's operation on several receipts did to each."""

    done: list = field(default_factory=list)
    refused: dict = field(default_factory=dict)  # receipt id -> why


def require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def lease() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: doubling, at most an hour."""
    seconds = settings.PUBLISH_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), LONGEST_BACKOFF)


def max_attempts() -> int:
    return settings.PUBLISH_MAX_ATTEMPTS


def unconfigured(name: str) -> str:
    return f"The channel {name!r} is not configured (PUBLISH_CHANNELS)."


def move_task(task: Task, to: str, *, reason: str | None = None, now=None, **columns) -> None:
    """Move a publish task to `to`, and its receipt with it (the caller holds
    the task's row lock; `task` may be loaded in part, its payload unread).

    - running (claimed): the lease comes in `columns`; the last error stays,
      so the page still says why the last attempt failed.
    - queued (a retry), succeeded, failed, cancelled: the lease ends and the
      last error is `reason`.
    - queued: an unpublished receipt is pending again, its error the reason.
    - failed, cancelled: an unpublished receipt fails with the reason, at once.
    - succeeded: the receipt is the caller's (what the channel answered).
    `columns`: other task columns the move sets (attempts, not_before).
    """
    task.status = to
    changed = ["status", *columns]
    if to != TaskStatus.RUNNING:
        task.last_error = reason
        task.leased_by = task.lease_expires_at = None
        changed += ["last_error", *LEASE_FIELDS]
    for name, value in columns.items():
        setattr(task, name, value)
    task.save(update_fields=list(dict.fromkeys(changed)))
    now = now or timezone.now()
    receipts = PublishReceipt.objects.filter(task_id=task.pk)
    if to in ENDED:
        receipts.exclude(status=PublishStatus.PUBLISHED).update(
            status=PublishStatus.FAILED, error=reason, timestamp=now
        )
    elif to == TaskStatus.QUEUED:
        receipts.filter(status__in=[PublishStatus.PENDING, PublishStatus.FAILED]).update(
            status=PublishStatus.PENDING,
            error=reason,
            # A receipt that was pending keeps its time: its state did not change.
            timestamp=Case(
                When(status=PublishStatus.PENDING, then=F("timestamp")), default=Value(now)
            ),
        )


def cancel_locked(tasks, reason: str) -> None:
    """Cancel tasks whose rows (and receipts) the caller locked."""
    now = timezone.now()
    for task in tasks:
        move_task(task, TaskStatus.CANCELLED, reason=reason, now=now)


def back_to_ready_if_idle(video: Video, *, from_status: str) -> None:
    """A video in `from_status` with no publish scheduled or running and
    published nowhere goes back to ready, so an editor may approve it anew
    (the caller holds its lock). Used after a cancel (from approved) and a
    retract (from published)."""
    if video.status != from_status:
        return
    live = locks.publish_tasks().filter(video=video, status__in=locks.LIVE).exists()
    published = PublishReceipt.objects.filter(video=video, status=PublishStatus.PUBLISHED).exists()
    if not live and not published:
        video.status = VideoStatus.READY
        video.save(update_fields=["status"])
