"""The numbers alerts, /health/ and /metrics read, in one module.

Each reading is a query on a small table (the insights rollups, the
heartbeats) or on a partial or range index whose size is the work in flight,
never the history: no big table is scanned.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import Coalesce

from insights.models import Decisions, Receipts
from monitoring.models import WorkerHeartbeat
from publishing import channels
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ReviewAction
from safety.queue import QueueSummary, queue_summary
from videos.models import Task, TaskStatus, TaskType


def review_queue() -> QueueSummary:
    """Depth and oldest wait of the review queue: safety_reports_queue_idx
    (partial: pending reports only)."""
    return queue_summary()


@dataclass(frozen=True)
class Overdue:
    count: int
    since: datetime | None  # when the longest-waiting one fell due

    def age(self, now: datetime) -> timedelta | None:
        return now - self.since if self.since else None


def due_unstarted_publishes(now: datetime) -> Overdue:
    """Queued publish tasks whose time has come: tasks_publish_queue_idx
    (partial: queued and running publish tasks, i.e. the scheduled ones)."""
    due_at = Coalesce("not_before", "created_at")
    row = (
        Task.objects.filter(type=TaskType.PUBLISH, status=TaskStatus.QUEUED)
        .alias(due_at=due_at)
        .filter(due_at__lte=now)
        .aggregate(count=Count("pk"), since=Min(due_at))
    )
    return Overdue(count=row["count"], since=row["since"])


def newest_heartbeat() -> datetime | None:
    """When a publish worker last swept: monitoring_heartbeats, a row per worker."""
    return WorkerHeartbeat.objects.aggregate(newest=Max("seen_at"))["newest"]


def last_outcomes(channel: str, limit: int) -> list[str]:
    """The statuses of the channel's `limit` latest finished publishes, newest
    first: publish_receipts_chan_ts_idx (channel, timestamp desc), read until
    `limit` finished ones are found (pending ones in between are few)."""
    finished = (PublishStatus.PUBLISHED, PublishStatus.FAILED, PublishStatus.RETRACTED)
    rows = PublishReceipt.objects.filter(channel=channel, status__in=finished)
    return list(rows.order_by("-timestamp").values_list("status", flat=True)[:limit])


def channel_names() -> list[str]:
    return list(channels.configured())


def decisions_total() -> dict[str, int]:
    """Every decision ever made, by kind (a counter: the review log is
    append-only), from the insights_decisions rollup."""
    rows = Decisions.objects.values("kind").annotate(n=Sum("n")).order_by()
    counts = dict.fromkeys(ReviewAction.DECISIONS, 0)
    counts.update({row["kind"]: row["n"] for row in rows if row["kind"] in counts})
    return counts


def receipts_by_outcome() -> dict[tuple[str, str], int]:
    """Publish receipts now, by (channel, status), from the insights_receipts
    rollup (each receipt counts once, under its current status)."""
    rows = (
        Receipts.objects.exclude(channel__isnull=True)
        .exclude(status__isnull=True)
        .values("channel", "status")
        .annotate(n=Sum("n"))
        .filter(n__gt=0)
        .order_by()
    )
    return {(row["channel"], row["status"]): row["n"] for row in rows}
