"""The QA log: every verdict of a blind second review and of a lead, as a
read-only list for leads, and its CSV export for any filter the list takes
(the decision log's export: safety.decision_log.export).

Each exported row is a QA verdict's statement of reasons beside the decision
it checked: the report's category and issues, the first verdict and who gave
it, this verdict, its stage, reason code and label, note, who and when, and
where the sample ended (agreed, disputed, settled by a lead).
"""

from datetime import UTC

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin_pages import AdminPage
from safety.decision_log import (
    EXPORT_CHUNK_ROWS,
    ExportableLogAdmin,
    ModeratorFilter,
    export,
    reason_labels,
)
from safety.issues import issues_summary
from safety.models import QAAction, QAStage, QAStatus

VERDICTS = {kind.value for kind in QAAction.VERDICTS}
STAGES = {stage.value for stage in QAStage}

EXPORT_HEADER = (
    "decided_at",
    "stage",
    "verdict",
    "report",
    "video",
    "category",
    "issues",
    "first_verdict",
    "first_moderator",
    "reason_code",
    "reason",
    "note",
    "reviewer",
    "sample_status",
)
_EXPORT_SOURCES = (
    "created_at",
    "stage",
    "kind",
    "sample__report_id",
    "sample__report__task__video_id",
    "sample__category",
    "sample__report__issues",
    "sample__first_verdict",
    "sample__moderator__username",
    "reason_code",
    "note",
    "actor__username",
    "sample__status",
)


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [(stage.value, stage.label) for stage in QAStage]

    def queryset(self, request, queryset):
        return queryset.filter(stage=self.value()) if self.value() else queryset


class VerdictFilter(admin.SimpleListFilter):
    title = "verdict"
    parameter_name = "verdict"

    def lookups(self, request, model_admin):
        return [(kind.value, kind.label) for kind in QAAction.VERDICTS]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class ReviewerFilter(ModeratorFilter):
    """Who gave the verdict (a second reviewer or a lead)."""

    title = "reviewer"
    parameter_name = "reviewer"


def export_rows(verdicts):
    """One row per QA verdict, read chunk by chunk through a server-side cursor."""
    labels = reason_labels()
    rows = verdicts.select_related(None).values_list(*_EXPORT_SOURCES)
    for row in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield export_row(dict(zip(_EXPORT_SOURCES, row, strict=True)), labels)


def export_row(row: dict, labels: dict[str, str]) -> list:
    return [
        row["created_at"].astimezone(UTC).isoformat(),
        row["stage"],
        row["kind"],
        str(row["sample__report_id"]),
        str(row["sample__report__task__video_id"] or ""),
        row["sample__category"],
        issues_summary(row["sample__report__issues"]),
        row["sample__first_verdict"],
        row["sample__moderator__username"] or "the pipeline",
        row["reason_code"],
        labels.get(row["reason_code"], ""),
        row["note"],
        row["actor__username"],
        row["sample__status"],
    ]


class QALogAdmin(ExportableLogAdmin):
    list_display = (
        "created_at",
        "stage",
        "kind",
        "report_column",
        "category_column",
        "first_column",
        "reason_column",
        "note",
        "actor",
        "outcome_column",
    )
    list_display_links = ("created_at",)
    list_select_related = ("actor", "sample__moderator")
    list_filter = (StageFilter, VerdictFilter, ReviewerFilter, "created_at")
    ordering = ("-created_at", "-id")
    uuid_search_fields = ("sample__report_id", "sample__report__task__video_id")
    search_help_text = "Search by report or video UUID."
    change_list_template = "admin/safety/qa_log.html"
    export_name = "qa-log"
    export_header = EXPORT_HEADER
    fields = ("created_at", "stage", "kind", "sample", "actor", "reason_code", "note")
    readonly_fields = fields
    admin_pages = (AdminPage("export/", export, "export"),)

    def get_queryset(self, request):
        verdicts = super().get_queryset(request).filter(kind__in=QAAction.VERDICTS)
        return verdicts.select_related("sample__moderator", "actor")

    def export_rows(self, rows):
        return export_rows(rows)

    def closed_filters(self):
        return ((StageFilter, STAGES), (VerdictFilter, VERDICTS))

    @admin.display(description="Report")
    def report_column(self, obj):
        report_id = obj.sample.report_id
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:safety_safetyreport_change", args=[report_id]),
            str(report_id)[:8],
        )

    @admin.display(description="Category")
    def category_column(self, obj):
        return obj.sample.category or "—"

    @admin.display(description="First decision")
    def first_column(self, obj):
        who = obj.sample.moderator.get_username() if obj.sample.moderator_id else "the pipeline"
        return f"{obj.sample.get_first_verdict_display()} by {who}"

    @admin.display(description="Reason")
    def reason_column(self, obj):
        return reason_labels().get(obj.reason_code, obj.reason_code) or "—"

    @admin.display(description="Sample")
    def outcome_column(self, obj):
        return QAStatus(obj.sample.status).label if obj.sample.status in QAStatus else "—"
