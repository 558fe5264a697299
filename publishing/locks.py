"""Which publish tasks are due, and every row lock publishing takes.

Locks are taken in one order everywhere: the video, then its tasks, then its
receipts, each set by primary key, so no two operations deadlock. Workers
claim with SKIP LOCKED: they never wait for each other.
"""

from datetime import datetime

from django.db.models import Q, QuerySet

from publishing.models import PublishReceipt
from videos.models import Task, TaskStatus, TaskType, Video

LIVE = (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.FAILED)


def publish_tasks() -> QuerySet[Task]:
    return Task.objects.filter(type=TaskType.PUBLISH)


def due(now: datetime) -> QuerySet[Task]:
    """Queued tasks whose time has come, and running ones whose worker's lease
    ran out (it died or lost the database): oldest schedule first."""
    return publish_tasks().filter(
        Q(status=TaskStatus.QUEUED) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
        | Q(status=TaskStatus.RUNNING, lease_expires_at__lte=now)
    )


def next_due(now: datetime) -> datetime | None:
    """When the earliest queued task scheduled after `now` falls due (an
    index scan of tasks_publish_queue_idx, one row)."""
    later = publish_tasks().filter(status=TaskStatus.QUEUED, not_before__gt=now)
    return later.order_by("not_before").values_list("not_before", flat=True).first()


def lock_due(now: datetime, limit: int, *, skip=()) -> list:
    """Lock up to `limit` due tasks that no other worker holds (in a
    transaction), but those in `skip`.

    Returns their ids only: the caller reads each row on its own, so one that
    cannot be read does not hide the others."""
    rows = due(now).exclude(pk__in=list(skip))
    rows = rows.order_by("not_before", "created_at").select_for_update(skip_locked=True)
    return list(rows.values_list("pk", flat=True)[:limit])


def lock_video(video_id) -> Video:
    return Video.objects.select_for_update().get(pk=video_id)


def lock_tasks(task_ids) -> list[Task]:
    return list(Task.objects.filter(pk__in=task_ids).order_by("pk").select_for_update())


def lock_receipts(receipt_ids) -> list[PublishReceipt]:
    return list(
        PublishReceipt.objects.filter(pk__in=receipt_ids).order_by("pk").select_for_update()
    )
