"""The review queue in the admin: a changelist of open reports, the review page
and the buttons behind it, for users with the review permission only."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import pluralize
from django.utils import timezone

from core.admin_core import WorkListAdmin
from core.admin_links import admin_link_for
from core.admin_pages import AdminPage, AdminPagesMixin, render_page
from core.inputs import query_uuid
from core.markup import format_markup
from safety import services, views
from safety.issues import issues_summary
from safety.models import SEVERITY_RANK, SafetyReport, Severity
from safety.queue import (
    QUEUE_ORDER,
    describe_wait,
    escalated_reports,
    filter_choices,
    open_issue_categories,
    open_report_personas,
    open_reports,
    pending_reports,
    queue_summary,
    sla_level,
    with_list_values,
)
from videos.models import Video


class WorkStateFilter(admin.SimpleListFilter):
    """A work list's state: its first choice (what waits) is the default view,
    so it replaces Django's "All" choice. The review and QA queues use it."""

    title = "state"
    parameter_name = "state"

    def choices(self, changelist):
        default = self.lookup_choices[0][0]
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or default) == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class StateFilter(WorkStateFilter):
    def lookups(self, request, model_admin):
        return [("pending", "Waiting for a moderator"), ("escalated", "Escalated (for leads)")]

    def queryset(self, request, queryset):
        # The queue's own definitions: the unfiltered list's count is the
        # summary's count of pending_reports() (ReviewQueueAdmin.get_paginator).
        if self.value() == "escalated":
            return queryset & escalated_reports()
        return queryset & pending_reports()


class ClaimFilter(admin.SimpleListFilter):
    title = "held by"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("unclaimed", "Nobody"), ("mine", "Me"), ("others", "Someone else")]

    def queryset(self, request, queryset):
        now = timezone.now()
        held = queryset.live_claims(now)
        if self.value() == "unclaimed":
            return queryset.without_live_claim(now)
        if self.value() == "mine":
            return held.filter(claimed_by=request.user)
        if self.value() == "others":
            return held.exclude(claimed_by=request.user)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = "issue category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        categories = filter_choices("categories", open_issue_categories)
        return [(c, c.replace("_", " ")) for c in categories]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(issues__contains=[{"category": self.value()}])
        return queryset


class SeverityFilter(admin.SimpleListFilter):
    title = "worst severity"
    parameter_name = "severity"

    def lookups(self, request, model_admin):
        return [(value, f"{label} or worse") for value, label in reversed(Severity.choices)]

    def queryset(self, request, queryset):
        if self.value() in SEVERITY_RANK:
            return queryset.filter(severity_rank__gte=SEVERITY_RANK[self.value()])
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    title = "waiting"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        warn, breach = settings.SAFETY_SLA_WARNING_MINUTES, settings.SAFETY_SLA_BREACH_MINUTES
        return [
            ("warning", f"Over {warn} min (SLA warning)"),
            ("breach", f"Over {breach} min (SLA breached)"),
            ("day", "Over a day"),
        ]

    def queryset(self, request, queryset):
        minutes = {
            "warning": settings.SAFETY_SLA_WARNING_MINUTES,
            "breach": settings.SAFETY_SLA_BREACH_MINUTES,
            "day": 24 * 60,
        }.get(self.value())
        if minutes is None:
            return queryset
        return queryset.filter(created_at__lte=timezone.now() - timedelta(minutes=minutes))


class PersonaFilter(admin.SimpleListFilter):
    """Only personas with open reports are offered, so the list stays short."""

    title = "persona"
    parameter_name = "persona"
    limit = 50

    def lookups(self, request, model_admin):
        return filter_choices("personas", partial(open_report_personas, self.limit))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        persona_id = query_uuid(self.value())
        if persona_id is None:
            raise IncorrectLookupParameters(f"{self.value()!r} is not a persona's key.")
        return queryset.filter(task__video__persona_id=persona_id)


def shows_whole_queue(query) -> bool:
    """Whether the list's query string leaves the queue unfiltered: in any
    order, on any page, of the reports waiting for a moderator."""
    return set(query) <= {ORDER_VAR, PAGE_VAR}


class ReviewQueueAdmin(AdminPagesMixin, WorkListAdmin):
    list_display = (
        "waiting_column",
        "score",
        "issues_column",
        "video_column",
        "persona_column",
        "holder_column",
        "review_column",
    )
    list_display_links = None
    # The video, persona and holder come as values (with_list_values), not rows.
    list_select_related = False
    list_columns = (
        *("score", "issues", "created_at", "severity_rank", "task_id"),
        *("claimed_by_id", "claim_expires_at", "requires_human_review", "review_status"),
    )
    list_filter = (
        StateFilter,
        ClaimFilter,
        CategoryFilter,
        SeverityFilter,
        WaitingFilter,
        PersonaFilter,
    )
    # Without this the changelist puts the model's "-created_at" first: newest on top.
    ordering = QUEUE_ORDER
    list_per_page = 50
    actions = ("bulk_approve",)
    change_list_template = "admin/safety/review_queue.html"
    admin_pages = (
        AdminPage("next/", views.review_next, "next"),
        AdminPage("<uuid:report_id>/review/", views.review_page, "review"),
        AdminPage("<uuid:report_id>/claim/", views.claim, "claim"),
        AdminPage("<uuid:report_id>/renew/", views.renew, "renew"),
        AdminPage("<uuid:report_id>/release/", views.release, "release"),
        AdminPage("<uuid:report_id>/takeover/", views.take_over, "takeover"),
        AdminPage("<uuid:report_id>/decide/", views.decide, "decide"),
    )

    # Only moderators (the review permission) see the queue.
    def may_work(self, request):
        return request.user.has_perm(services.REVIEW_PERMISSION)

    def has_review_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return with_list_values(open_reports()).order_by(*QUEUE_ORDER)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return views.review_page(request, self, object_id)

    def changelist_view(self, request, extra_context=None):
        summary = queue_summary() if self.has_view_permission(request) else None
        request.queue_summary = summary
        return super().changelist_view(
            request,
            {
                "queue": summary,
                "queue_wait": describe_wait(summary.oldest_wait) if summary else "",
                **(extra_context or {}),
            },
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        summary = getattr(request, "queue_summary", None)
        if summary is not None and shows_whole_queue(request.GET):
            # The list unfiltered is the pending reports the summary has just
            # counted (StateFilter's default): one query fewer per page.
            paginator.counted(summary.size)
        return paginator

    @admin.display(description="Waiting", ordering="created_at")
    def waiting_column(self, obj):
        waited = timezone.now() - obj.created_at if obj.created_at else None
        return format_markup(
            '<span class="sla sla-{}">{}</span>', sla_level(waited), describe_wait(waited)
        )

    @admin.display(description="Issues")
    def issues_column(self, obj):
        return issues_summary(obj.issues, worst_first=True, limit=3) or "—"

    @admin.display(description="Video")
    def video_column(self, obj):
        label = Video.display_name(obj.video_key, obj.video_title)
        return admin_link_for(Video, obj.video_key, label)

    @admin.display(description="Persona")
    def persona_column(self, obj):
        return obj.persona_name if obj.persona_name is not None else "—"

    @admin.display(description="Held by")
    def holder_column(self, obj):
        if obj.claim_is_live(timezone.now()):
            until = timezone.localtime(obj.claim_expires_at).strftime("%H:%M")
            return format_markup("{} until {}", obj.holder_name, until)
        return "—"

    @admin.display(description="")
    def review_column(self, obj):
        return format_markup('<a class="button" href="{}">Review</a>', views.review_url(obj.pk))

    @admin.action(description="Approve selected low-risk reports…", permissions=["review"])
    def bulk_approve(self, request, queryset):
        limit = settings.SAFETY_BULK_APPROVE_MAX_SCORE
        reports = list(queryset.select_related("task__video").order_by(*QUEUE_ORDER))
        error = None
        if request.POST.get("confirmed") == "yes":
            try:
                result = services.bulk_approve(
                    report_ids=[r.pk for r in reports],
                    moderator=request.user,
                    reason_code=request.POST.get("reason", ""),
                    note=request.POST.get("note", ""),
                )
            except services.ReviewRefused as refusal:
                error = refusal.message
            else:
                self._report_bulk(request, reports, result)
                self._report_gone(request, reports)
                return None
        eligible = [r for r in reports if services.bulk_problem(score=r.score) is None]
        too_risky = [r for r in reports if r not in eligible]
        return render_page(
            request,
            self,
            "admin/safety/bulk_approve.html",
            title="Approve low-risk reports",
            eligible=eligible,
            too_risky=too_risky,
            limit=limit,
            reasons=settings.SAFETY_REASON_CODES["approve"],
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            error=error,
        )

    def _report_bulk(self, request, reports, result):
        names = {r.pk: str(r.video) if r.video else str(r.pk)[:8] for r in reports}
        if result.decided:
            count = len(result.decided)
            messages.success(request, f"Approved {count} report{pluralize(count)}.")
        for report_id, why in result.refused.items():
            messages.warning(request, f"Not approved: {names.get(report_id, report_id)}: {why}")

    def _report_gone(self, request, reports):
        # Reports decided or escalated since the confirmation page are no longer
        # in the action's queryset: name them rather than drop them silently.
        gone = (
            SafetyReport.objects.filter(pk__in=request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
            .exclude(pk__in=[r.pk for r in reports])
            .select_related("task__video")
        )
        for report in gone:
            name = str(report.video) if report.video else report.pk
            status = report.review_status or "taken off the queue"
            messages.warning(request, f"Not approved: {name}: {status} meanwhile.")
