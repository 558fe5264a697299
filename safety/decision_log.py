"""The decision log: every approve, reject and escalate from the review log, as
a read-only list for leads, and its CSV export for any filter the list takes.

Each exported row is a decision's statement of reasons: the report's
categories and issues, the reason code and its label, the note, what the
moderator saw (score, video version, files), who decided and when. The export
streams the list's own queryset through a server-side cursor, so a million
decisions never sit in memory at once.
"""

from datetime import UTC

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from core import inputs
from core.admin_core import ContentAdmin, ReadOnlyRecordMixin
from core.admin_links import short_id
from core.admin_pages import AdminPage, AdminPagesMixin
from core.csv_export import streaming_csv
from safety import calibration_views
from safety.calibration import report_categories, rollup_cells, scopes
from safety.calibration_models import OVERALL
from safety.issues import as_text, issues_summary
from safety.models import ReviewAction

EXPORT_PERMISSION = "safety.export_decisionlog"
# Rows fetched per round trip of the export's server-side cursor.
EXPORT_CHUNK_ROWS = 2000

DECISIONS = {kind.value for kind in ReviewAction.DECISIONS}

# A decision's statement of reasons, one column each.
EXPORT_HEADER = (
    "decided_at",
    "decision",
    "report",
    "video",
    "categories",
    "issues",
    "reason_code",
    "reason",
    "note",
    "score_seen",
    "video_version_seen",
    "files_seen",
    "moderator",
)
# What export_row reads them from.
_EXPORT_SOURCES = (
    "created_at",
    "kind",
    "report_id",
    "report__task__video_id",
    "report__issues",
    "reason_code",
    "note",
    "score_seen",
    "video_version_seen",
    "files_seen",
    "actor__username",
)


def reason_labels() -> dict[str, str]:
    return {
        code: label for choices in settings.SAFETY_REASON_CODES.values() for code, label in choices
    }


# Filters. Each says which values it takes, so a value outside them is
# ignored with a message (DecisionLogAdmin.refused_parameters) rather than
# listing nothing, or everything, without a word.


class DecisionFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return [(kind.value, kind.label) for kind in ReviewAction.DECISIONS]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return list(reason_labels().items())

    def queryset(self, request, queryset):
        return queryset.filter(reason_code=self.value()) if self.value() else queryset


class ModeratorFilter(admin.SimpleListFilter):
    """People who may decide (the review permission, by group or their own), by id."""

    title = "moderator"
    parameter_name = "moderator"
    limit = 100

    def lookups(self, request, model_admin):
        permission = Q(groups__permissions__codename="review_safetyreport") | Q(
            user_permissions__codename="review_safetyreport"
        )
        people = (
            get_user_model()
            .objects.filter(permission | Q(is_superuser=True))
            .distinct()
            .order_by("username")
            .values_list("pk", "username")[: self.limit]
        )
        return [(str(pk), name) for pk, name in people]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(actor_id=moderator_id(self.value()))


def moderator_id(raw) -> int:
    try:
        value = inputs.form_int(raw, name="moderator", minimum=1)
    except inputs.InvalidInput as invalid:
        raise IncorrectLookupParameters(invalid.message) from None
    if value is None:
        raise IncorrectLookupParameters("The moderator filter names nobody.")
    return value


class CategoryFilter(admin.SimpleListFilter):
    """Issue categories with final decisions, read from the calibration rollup."""

    title = "issue category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(name, name) for name in scopes(rollup_cells()) if name != OVERALL]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(report__issues__contains=[{"category": self.value()}])


# The export


@require_safe
def export(request, model_admin):
    """The list's rows for this query string, as a streamed CSV: the decision
    log's and the QA log's (an ExportableLogAdmin names its header and rows)."""
    if not (model_admin.has_view_permission(request) and request.user.has_perm(EXPORT_PERMISSION)):
        raise PermissionDenied
    opts = model_admin.opts
    list_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if model_admin.refused_parameters(request.GET):
        # The list says what it ignores, and its export link then leaves it out.
        messages.warning(
            request, "Nothing was exported: the list ignored some filters; check and export again."
        )
        return HttpResponseRedirect(f"{list_url}?{request.GET.urlencode()}")
    # The list's filters, search and order, without its count and page (get_changelist).
    request.exporting = True
    try:
        rows = model_admin.get_changelist_instance(request).queryset
    except IncorrectLookupParameters as invalid:
        messages.error(request, f"Nothing was exported: the filters are not valid. {invalid}")
        return HttpResponseRedirect(list_url)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return streaming_csv(
        filename=f"{model_admin.export_name}-{stamp}.csv",
        header=model_admin.export_header,
        rows=model_admin.export_rows(rows),
    )


def export_rows(decisions):
    """One row per decision, read chunk by chunk through a server-side cursor."""
    labels = reason_labels()
    rows = decisions.select_related(None).values_list(*_EXPORT_SOURCES)
    for row in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield export_row(dict(zip(_EXPORT_SOURCES, row, strict=True)), labels)


def export_row(row: dict, labels: dict[str, str]) -> list:
    issues = row["report__issues"]
    return [
        row["created_at"].astimezone(UTC).isoformat(),
        row["kind"],
        str(row["report_id"]),
        str(row["report__task__video_id"] or ""),
        "; ".join(sorted(report_categories(issues))),
        issues_summary(issues),
        row["reason_code"],
        labels.get(row["reason_code"], ""),
        row["note"],
        row["score_seen"],
        row["video_version_seen"],
        files_summary(row["files_seen"]),
        row["actor__username"],
    ]


def files_summary(seen) -> str:
    """What a decision's `files_seen` names, in one line: each file's kind,
    path and ETag (or why S3 did not confirm it)."""
    if seen is None:
        return "not recorded"
    files = seen.get("files") if isinstance(seen, dict) else None
    if not isinstance(files, list):
        return f"unreadable: {as_text(seen)[:200]}"
    parts = [_file_summary(entry) for entry in files]
    count = f"{len(files)} file{'' if len(files) == 1 else 's'}"
    return f"{count}: {'; '.join(parts)}" if parts else "no files"


def _file_summary(entry) -> str:
    if not isinstance(entry, dict):
        return f"unreadable {as_text(entry)[:80]}"
    kind, path = as_text(entry.get("kind") or "file"), as_text(entry.get("s3_path") or "?")
    etag = entry.get("etag")
    seen = (
        f"etag {as_text(etag)}"
        if etag
        else f"unconfirmed ({as_text(entry.get('problem', 'no answer'))})"
    )
    return f"{kind} {path} {seen}"


# The list


class UnpagedChangeList(ChangeList):
    """The list's filters, search and order without its count or page: the export's."""

    def get_results(self, request):
        self.result_count = self.full_result_count = None
        self.result_list = []
        self.can_show_all = self.multi_page = False


class ExportableLogAdmin(AdminPagesMixin, ReadOnlyRecordMixin, ContentAdmin):
    """A read-only log whose list exports as CSV (`export` above) for any filter
    it takes: a subclass names `export_name`, `export_header` and `export_rows`,
    and lists `AdminPage("export/", export, "export")`."""

    export_name = "log"
    export_header: tuple[str, ...] = ()
    sortable_by = ()
    object_history_template = None

    def export_rows(self, rows):
        raise NotImplementedError

    def closed_filters(self) -> tuple:
        """(filter, the values it takes) for filters whose choices are closed."""
        return ()

    def refused_parameters(self, query) -> dict[str, str]:
        refused = super().refused_parameters(query)
        for entry, known in self.closed_filters():
            raw = query.get(entry.parameter_name)
            if raw is not None and entry.parameter_name not in refused and raw not in known:
                refused[entry.parameter_name] = (
                    f"Ignored the filter “{entry.title}”: “{inputs.shown(raw)}” is not one "
                    f"of {', '.join(sorted(known))}."
                )
        return refused

    def history_view(self, request, object_id, extra_context=None):
        # The log is append-only and untracked: Django's own page says a row
        # has no change history, which is the truth.
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

    def get_changelist(self, request, **kwargs):
        if getattr(request, "exporting", False):
            return UnpagedChangeList
        return super().get_changelist(request, **kwargs)

    def changelist_view(self, request, extra_context=None):
        context = {"may_export": request.user.has_perm(EXPORT_PERMISSION), **(extra_context or {})}
        return super().changelist_view(request, context)


class DecisionLogAdmin(ExportableLogAdmin):
    list_display = (
        "created_at",
        "kind",
        "report_column",
        "issues_column",
        "reason_column",
        "note",
        "score_seen",
        "actor",
    )
    list_display_links = ("created_at",)
    list_select_related = ("actor", "report")
    list_filter = (DecisionFilter, ReasonFilter, ModeratorFilter, CategoryFilter, "created_at")
    # The decisions' own index (review_actions_decisions_idx) serves this order.
    ordering = ("-created_at", "-id")
    uuid_search_fields = ("report_id", "report__task__video_id")
    search_help_text = "Search by report or video UUID."
    change_list_template = "admin/safety/decision_log.html"
    export_name = "decision-log"
    export_header = EXPORT_HEADER
    fields = (
        "created_at",
        "kind",
        "report",
        "actor",
        "reason_code",
        "note",
        "score_seen",
        "video_version_seen",
        "files_column",
    )
    readonly_fields = fields
    admin_pages = (
        AdminPage("export/", export, "export"),
        AdminPage("calibration/", calibration_views.calibration_page, "calibration"),
        AdminPage("calibration/csv/", calibration_views.calibration_csv, "calibration_csv"),
    )

    def get_queryset(self, request):
        # The change page names the report and the moderator: one join, not two queries.
        decisions = super().get_queryset(request).filter(kind__in=ReviewAction.DECISIONS)
        return decisions.select_related("report", "actor")

    def export_rows(self, rows):
        return export_rows(rows)

    def changelist_view(self, request, extra_context=None):
        context = {
            "may_calibrate": request.user.has_perm(calibration_views.PERMISSION),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def closed_filters(self):
        return ((DecisionFilter, DECISIONS), (ReasonFilter, set(reason_labels())))

    @admin.display(description="Report")
    def report_column(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:safety_safetyreport_change", args=[obj.report_id]),
            short_id(obj.report),
        )

    @admin.display(description="Issues")
    def issues_column(self, obj):
        return issues_summary(obj.report.issues, worst_first=True, limit=3) or "—"

    @admin.display(description="Reason")
    def reason_column(self, obj):
        return reason_labels().get(obj.reason_code, obj.reason_code) or "—"

    @admin.display(description="Files seen")
    def files_column(self, obj):
        return files_summary(obj.files_seen)
