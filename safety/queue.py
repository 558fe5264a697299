"""Reads for the review queue: which reports wait for a human, in what order."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections, router
from django.db.models import Count, F, Min, QuerySet
from django.utils import timezone

from personas.models import Persona
from safety.models import ReviewStatus, SafetyReport

# Worst first: highest severity, then highest score, then the longest waiting.
QUEUE_ORDER = (
    F("severity_rank").desc(),
    F("score").desc(nulls_last=True),
    F("created_at").asc(),
)


def pending_reports() -> QuerySet[SafetyReport]:
    """Reports that need a human and have no verdict yet (the queue proper)."""
    return SafetyReport.objects.filter(requires_human_review=True, review_status__isnull=True)


def escalated_reports() -> QuerySet[SafetyReport]:
    """Reports a moderator escalated: they wait for a lead."""
    return SafetyReport.objects.filter(review_status=ReviewStatus.ESCALATED)


def open_reports() -> QuerySet[SafetyReport]:
    """Pending and escalated reports: everything a moderator or lead may still decide."""
    return SafetyReport.objects.open()


def with_list_values(reports: QuerySet[SafetyReport]) -> QuerySet[SafetyReport]:
    """The reports with what the queue's columns show of their video, persona
    and holder as values on each report (`video_key`, `video_title`,
    `persona_name`, `holder_name`): one model a row instead of four, which was
    half of the queue's cost per row at 1M videos."""
    return reports.annotate(
        video_key=F("task__video_id"),
        video_title=F("task__video__title"),
        persona_name=F("task__video__persona__name"),
        holder_name=F(f"claimed_by__{get_user_model().USERNAME_FIELD}"),
    )


@dataclass(frozen=True)
class QueueSummary:
    size: int
    oldest: datetime | None

    @property
    def oldest_wait(self) -> timedelta | None:
        return timezone.now() - self.oldest if self.oldest else None

    @property
    def sla(self) -> str:
        return sla_level(self.oldest_wait)


def queue_summary() -> QueueSummary:
    """How many reports wait, and since when: one query on the queue's index
    alone (COUNT(*), not of a column the index lacks: no heap reads)."""
    row = pending_reports().aggregate(size=Count("*"), oldest=Min("created_at"))
    return QueueSummary(size=row["size"], oldest=row["oldest"])


def sla_level(waited: timedelta | None) -> str:
    """ok, warning or breach, by the thresholds in settings."""
    if waited is None:
        return "ok"
    minutes = waited.total_seconds() / 60
    if minutes >= settings.SAFETY_SLA_BREACH_MINUTES:
        return "breach"
    if minutes >= settings.SAFETY_SLA_WARNING_MINUTES:
        return "warning"
    return "ok"


def describe_wait(waited: timedelta | None) -> str:
    if waited is None:
        return "—"
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days"


# The queue's filter choices are read off every open report: a few index
# lookups each, tens of milliseconds for thousands of them, on every page. Each
# process keeps them this long: a new category or persona shows up within it.
FILTER_CHOICES_SECONDS = 60


def filter_choices(name: str, read) -> list:
    """`read()`, as this process read it in the last FILTER_CHOICES_SECONDS."""
    return cache.get_or_set(f"safety:queue:{name}", read, FILTER_CHOICES_SECONDS)


def open_report_personas(limit: int = 50) -> list[tuple[str, str]]:
    """(key, name) of the personas whose videos have open reports, by name."""
    # A semi-join from the open reports (by the queue's partial indexes) to
    # their videos' personas: a DISTINCT over the joined tables would hash
    # every video and task instead.
    personas = (
        Persona.objects.filter(pk__in=open_reports().values("task__video__persona_id"))
        .order_by("name")
        .values_list("pk", "name")[:limit]
    )
    return [(str(pk), name) for pk, name in personas]


def open_issue_categories(limit: int = 50) -> list[str]:
    """The issue categories that occur in open reports, for the category filter:
    read from the data, so a new category from the pipeline shows up by itself.
    Only text categories are offered: a filter matches text (the review page
    shows the others, marked). Read where the ORM would read the reports: on a
    page that reads the replica, so does this."""
    with connections[router.db_for_read(SafetyReport)].cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT issue->>'category' AS category
            FROM safety_reports,
                 jsonb_array_elements(
                     CASE WHEN jsonb_typeof(issues) = 'array' THEN issues ELSE '[]' END
                 ) AS issue
            WHERE ((requires_human_review AND review_status IS NULL)
                   OR review_status = 'escalated')
              AND jsonb_typeof(issue->'category') = 'string'
            ORDER BY 1
            LIMIT %s
            """,
            [limit],
        )
        return [row[0] for row in cursor.fetchall()]
