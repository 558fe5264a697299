"""Business operations on videos and tasks. Each is one guarded write."""

from collections.abc import Mapping

from contentops.locking import GuardedUpdate
from videos.models import Task, TaskStatus, Video, VideoStatus

ARCHIVABLE = [VideoStatus.DRAFT, VideoStatus.READY, VideoStatus.REJECTED, VideoStatus.FAILED]
CANCELLABLE = [TaskStatus.QUEUED, TaskStatus.RUNNING]
REQUEUEABLE = [TaskStatus.FAILED, TaskStatus.CANCELLED]


def archive_videos(*, versions: Mapping) -> GuardedUpdate:
    """Archive videos that are not in production, review or publishing."""
    return Video.objects.filter(status__in=ARCHIVABLE).update_guarded(
        versions, status=VideoStatus.ARCHIVED
    )


def cancel_tasks(*, versions: Mapping) -> GuardedUpdate:
    """Cancel tasks that have not finished."""
    return Task.objects.filter(status__in=CANCELLABLE).update_guarded(
        versions, status=TaskStatus.CANCELLED
    )


def requeue_tasks(*, versions: Mapping) -> GuardedUpdate:
    """Put failed or cancelled tasks back in the queue."""
    return Task.objects.filter(status__in=REQUEUEABLE).update_guarded(
        versions, status=TaskStatus.QUEUED
    )
