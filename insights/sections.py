"""The dashboard's own sections (issue 13, part 1), read from the rollups only:
a few GROUP BYs over small tables per section, whatever the size of the data."""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.urls import reverse

from insights import models
from insights.dashboard import VIEW_ALL, Chart, Period, Section, add_section
from insights.quantiles import quantile
from publishing.models import PublishStatus
from videos.models import TaskStatus, TaskType, VideoStatus

FINAL = ("approve", "reject")
# Where a video waits for someone (the pipeline, a moderator, an editor, the worker).
WAITING = (
    VideoStatus.DRAFT,
    VideoStatus.PRODUCING,
    VideoStatus.IN_REVIEW,
    VideoStatus.READY,
    VideoStatus.APPROVED,
)
AGES = ((1, "under a day"), (7, "1 to 7 days"), (30, "7 to 30 days"), (None, "over 30 days"))


def admin_list(name: str, **query) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _since(period: Period) -> datetime:
    return datetime.combine(period.first, time.min, tzinfo=UTC)


def _by_day(rows, value) -> dict:
    return {row["day"]: row[value] or 0 for row in rows}


def _histograms(rows, key: str) -> dict:
    counts = defaultdict(dict)
    for row in rows:
        counts[row[key]][row["bucket"]] = row["total"]
    return counts


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


# --- review queue ------------------------------------------------------------------


def queue_charts(period: Period) -> list[Chart]:
    samples = list(models.QueueSample.objects.filter(hour__gte=_since(period)))
    arrived = _by_day(
        models.ReportsIn.objects.filter(day__gte=period.first)
        .values("day")
        .annotate(total=Sum("n")),
        "total",
    )
    decided = list(
        models.Decisions.objects.filter(day__gte=period.first)
        .values("day")
        .annotate(
            final=Sum("n", filter=Q(kind__in=FINAL)),
            escalated=Sum("n", filter=Q(kind="escalate")),
            late=Sum("n", filter=Q(kind__in=FINAL, breached=True)),
        )
    )
    return [
        *_queue_samples(samples),
        _queue_flow(period, arrived, decided),
        _sla_breaches(period, decided, samples),
    ]


def _queue_samples(samples) -> list[Chart]:
    labels = [f"{s.hour.astimezone(UTC):%Y-%m-%d %H:00}" for s in samples]
    waits = [
        round(max((s.hour - s.oldest_created_at).total_seconds(), 0) / 3600, 1)
        if s.oldest_created_at
        else 0
        for s in samples
    ]
    note = "Sampled once an hour by the publish worker (UTC)."
    return [
        Chart(
            "queue-depth",
            "Reports waiting (hourly)",
            "line",
            "Hour",
            labels,
            [("Waiting", [s.depth for s in samples])],
            admin_list("safety_reviewqueueitem"),
            "The review queue",
            note=note,
        ),
        Chart(
            "queue-oldest-wait",
            "Oldest wait, hours (hourly)",
            "line",
            "Hour",
            labels,
            [("Oldest wait (h)", waits)],
            admin_list("safety_reviewqueueitem"),
            "The review queue",
            note=note,
        ),
    ]


def _queue_flow(period: Period, arrived: dict, decided: list) -> Chart:
    by_day = {row["day"]: row for row in decided}
    days = period.dates()
    return Chart(
        "queue-flow",
        "Reports in and decided per day",
        "bar",
        "Day",
        [d.isoformat() for d in days],
        [
            ("In", [arrived.get(d, 0) for d in days]),
            ("Decided", [(by_day.get(d) or {}).get("final") or 0 for d in days]),
            ("Escalated", [(by_day.get(d) or {}).get("escalated") or 0 for d in days]),
        ],
        admin_list("safety_safetyreport", requires_human_review__exact=1),
        "Reports that asked for a human",
    )


def _sla_breaches(period: Period, decided: list, samples) -> Chart:
    late = _by_day(decided, "late")
    waiting = defaultdict(int)
    for sample in samples:
        day = sample.hour.astimezone(UTC).date()
        waiting[day] = max(waiting[day], sample.over_sla)
    days = period.dates()
    return Chart(
        "sla-breaches",
        "SLA breaches per day",
        "bar",
        "Day",
        [d.isoformat() for d in days],
        [
            ("Decided after the SLA", [late.get(d, 0) for d in days]),
            ("Most waiting past it (hourly samples)", [waiting.get(d, 0) for d in days]),
        ],
        admin_list("safety_reviewqueueitem", waiting="breach"),
        "Reports waiting past the SLA now",
        note="The SLA is SAFETY_SLA_BREACH_MINUTES, from the report's arrival.",
    )


# --- moderators ----------------------------------------------------------------------


def moderator_charts(period: Period) -> list[Chart]:
    decisions = list(
        models.Decisions.objects.filter(day__gte=period.first)
        .values("day", "actor_id")
        .annotate(total=Sum("n"))
    )
    handled = _histograms(
        models.HandleTime.objects.filter(day__gte=period.first, bucket__isnull=False)
        .values("actor_id", "bucket")
        .annotate(total=Sum("n")),
        "actor_id",
    )
    ids = {row["actor_id"] for row in decisions} | set(handled)
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    people = sorted(ids, key=lambda pk: names.get(pk, str(pk)))
    return [
        _decisions_per_person(period, decisions, people, names),
        _handle_times(handled, people, names),
    ]


def _decisions_per_person(period, decisions, people, names) -> Chart:
    counts = {(row["day"], row["actor_id"]): row["total"] for row in decisions}
    days = period.dates()
    return Chart(
        "decisions-per-moderator",
        "Decisions per moderator per day",
        "bar",
        "Day",
        [d.isoformat() for d in days],
        [(names.get(pk, f"user {pk}"), [counts.get((d, pk), 0) for d in days]) for pk in people],
        admin_list("safety_safetyreport", requires_human_review__exact=1),
        "Reports that asked for a human",
        stacked=True,
        note="Approvals, rejections and escalations, on the day they were made (UTC).",
    )


def _handle_times(handled, people, names) -> Chart:
    held = [pk for pk in people if pk in handled]
    return Chart(
        "handle-time",
        "Handle time, claim to decision (minutes)",
        "bar",
        "Moderator",
        [names.get(pk, f"user {pk}") for pk in held],
        [
            ("Median", [_minutes(quantile(handled[pk], 0.5)) for pk in held]),
            ("95th percentile", [_minutes(quantile(handled[pk], 0.95)) for pk in held]),
        ],
        admin_list("safety_reviewqueueitem"),
        "The review queue",
        note="From histograms: each value is at most 19% above the true one. "
        "Bulk approvals (no claim) are left out.",
    )


# --- pipeline --------------------------------------------------------------------------


def pipeline_charts(period: Period) -> list[Chart]:
    counts = {
        (row["type"], row["status"]): row["total"]
        for row in models.TaskCounts.objects.values("type", "status").annotate(total=Sum("n"))
    }
    durations = _histograms(
        models.TaskDurations.objects.filter(day__gte=period.first)
        .values("type", "bucket")
        .annotate(total=Sum("n")),
        "type",
    )
    ages = list(
        models.VideoAges.objects.filter(status__in=WAITING)
        .values("status", "day")
        .annotate(total=Sum("n"))
    )
    return [
        _tasks_by_status(counts),
        _failure_rates(counts),
        _task_durations(durations),
        _video_ages(period, ages),
    ]


def _tasks_by_status(counts) -> Chart:
    types = [t.value for t in TaskType]
    return Chart(
        "tasks-by-status",
        "Tasks per type and status, now",
        "bar",
        "Type",
        types,
        [(s.label, [counts.get((t, s.value), 0) for t in types]) for s in TaskStatus],
        admin_list("videos_task"),
        "All tasks",
        stacked=True,
        row_links=[admin_list("videos_task", type__exact=t) for t in types],
    )


def _failure_rates(counts) -> Chart:
    types = [t.value for t in TaskType]

    def rate(task_type):
        failed = counts.get((task_type, TaskStatus.FAILED.value), 0)
        finished = failed + counts.get((task_type, TaskStatus.SUCCEEDED.value), 0)
        return round(100 * failed / finished, 1) if finished else None

    return Chart(
        "task-failure-rate",
        "Failure rate per task type (% of finished)",
        "bar",
        "Type",
        types,
        [("Failed %", [rate(t) for t in types])],
        admin_list("videos_task", status__exact=TaskStatus.FAILED),
        "Failed tasks",
        row_links=[
            admin_list("videos_task", type__exact=t, status__exact=TaskStatus.FAILED) for t in types
        ],
    )


def _task_durations(durations) -> Chart:
    types = [t.value for t in TaskType]
    return Chart(
        "task-durations",
        "Task duration, created to finished (minutes)",
        "bar",
        "Type",
        types,
        [
            ("Median", [_minutes(quantile(durations.get(t, {}), 0.5)) for t in types]),
            ("95th percentile", [_minutes(quantile(durations.get(t, {}), 0.95)) for t in types]),
        ],
        admin_list("videos_task", status__exact=TaskStatus.SUCCEEDED),
        "Succeeded tasks",
        note="Measured when a task's status turns succeeded or failed; at most 19% high.",
        row_links=[admin_list("videos_task", type__exact=t) for t in types],
    )


def _video_ages(period: Period, ages) -> Chart:
    counts = defaultdict(int)
    for row in ages:
        age = (period.today - row["day"]).days if row["day"] else None
        counts[(row["status"], _age_band(age))] += row["total"]
    statuses = [s.value for s in WAITING]
    return Chart(
        "video-ages",
        "Where videos wait: time in their status",
        "bar",
        "Status",
        statuses,
        [(label, [counts.get((s, label), 0) for s in statuses]) for _, label in AGES],
        admin_list("videos_video"),
        "All videos",
        stacked=True,
        note="Since the video's status last changed.",
        row_links=[admin_list("videos_video", status__exact=s) for s in statuses],
    )


def _age_band(age: int | None) -> str:
    for limit, label in AGES:
        if limit is None or (age is not None and age < limit):
            return label
    return AGES[-1][1]


# --- publishing ------------------------------------------------------------------------


def publishing_charts(period: Period) -> list[Chart]:
    receipts = list(
        models.Receipts.objects.filter(day__gte=period.first)
        .values("day", "channel", "status")
        .annotate(total=Sum("n"))
    )
    latency = _histograms(
        models.PublishLatency.objects.filter(day__gte=period.first)
        .values("channel", "bucket")
        .annotate(total=Sum("n")),
        "channel",
    )
    failures = list(
        models.PublishFailures.objects.values("channel", "answer")
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .order_by("-total", "channel", "answer")[:15]
    )
    return [
        _receipts_per_day(period, receipts),
        _publish_latency(latency),
        _failures_by_answer(failures),
    ]


def _receipts_per_day(period: Period, receipts) -> Chart:
    counts = {(r["day"], r["channel"], r["status"]): r["total"] for r in receipts}
    pairs = sorted({(r["channel"] or "", r["status"] or "") for r in receipts if r["total"]})
    days = period.dates()
    return Chart(
        "receipts-per-day",
        "Receipts per channel and outcome per day",
        "bar",
        "Day",
        [d.isoformat() for d in days],
        [
            (f"{channel} {status}", [counts.get((d, channel, status), 0) for d in days])
            for channel, status in pairs
        ],
        admin_list("publishing_publishreceipt"),
        "All receipts",
        stacked=True,
        note="By the day of each receipt's latest change (UTC).",
        row_links=[
            admin_list(
                "publishing_publishreceipt",
                timestamp__gte=d.isoformat(),
                timestamp__lt=(d + timedelta(days=1)).isoformat(),
            )
            for d in days
        ],
    )


def _publish_latency(latency) -> Chart:
    channels = sorted(latency, key=lambda c: c or "")
    return Chart(
        "publish-latency",
        "Approval to published (minutes)",
        "bar",
        "Channel",
        [c or "(none)" for c in channels],
        [
            ("Median", [_minutes(quantile(latency[c], 0.5)) for c in channels]),
            ("95th percentile", [_minutes(quantile(latency[c], 0.95)) for c in channels]),
        ],
        admin_list("publishing_publishreceipt", status__exact=PublishStatus.PUBLISHED),
        "Published receipts",
        note="Scheduled publishes include their wait; at most 19% high.",
        row_links=[
            admin_list("publishing_publishreceipt", channel=c, status__exact="published")
            for c in channels
        ],
    )


def _failures_by_answer(failures) -> Chart:
    return Chart(
        "publish-failures",
        "Failed receipts by the channel's answer",
        "bar",
        "Channel: answer",
        [f"{row['channel']}: {row['answer']}" for row in failures],
        [("Failed receipts", [row["total"] for row in failures])],
        admin_list("publishing_publishreceipt", status__exact=PublishStatus.FAILED),
        "Failed receipts",
        note="The first line of each failure, the 15 most frequent.",
        row_links=[
            admin_list(
                "publishing_publishreceipt", channel=row["channel"] or "", status__exact="failed"
            )
            for row in failures
        ],
    )


def register() -> None:
    add_section(
        Section(
            "queue",
            "Review queue",
            "safety.review_safetyreport",
            queue_charts,
            "Leads and moderators",
        )
    )
    add_section(Section("moderators", "Moderators", VIEW_ALL, moderator_charts, "Leads"))
    add_section(
        Section(
            "pipeline",
            "Pipeline",
            "videos.view_task",
            pipeline_charts,
            "Leads and all staff who may see tasks",
        )
    )
    add_section(
        Section(
            "publishing",
            "Publishing",
            "publishing.approve_publish",
            publishing_charts,
            "Leads and editors",
        )
    )
