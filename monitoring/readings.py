"""The numbers alerts, /health/ and /metrics read: one module, so they can be
pointed at the insights rollups later without touching their readers.

Each reading is a query on a small table or on a partial or range index whose
size is the work in flight, never the history: no big table is scanned.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce

from monitoring.models import WorkerHeartbeat
from publishing import channels
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ReviewAction
from safety.queue import QueueSummary, queue_summary
from videos.models import Task, TaskStatus, TaskType

# Decisions and publish outcomes are counted over this trailing window.
RECENT = timedelta(hours=24)


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


def recent_decisions(now: datetime) -> dict[str, int]:
    """Decisions by kind on reports filed in the last RECENT: the reports by
    safety_reports_created_idx, their decisions by review_actions_report_idx."""
    rows = (
        ReviewAction.objects.filter(
            report__created_at__gte=now - RECENT, kind__in=ReviewAction.DECISIONS
        )
        .values("kind")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(ReviewAction.DECISIONS, 0)
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def recent_outcomes(now: datetime) -> dict[tuple[str, str], int]:
    """Receipts by (channel, status) that changed status in the last RECENT:
    publish_receipts_ts_idx (timestamp desc), a day's receipts."""
    rows = (
        PublishReceipt.objects.filter(timestamp__gte=now - RECENT)
        .exclude(Q(channel__isnull=True) | Q(status__isnull=True))
        .values("channel", "status")
        .annotate(n=Count("pk"))
    )
    return {(row["channel"], row["status"]): row["n"] for row in rows}
