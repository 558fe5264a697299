from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timezone import localtime

from core.admin_core import ContentAdmin, ReadOnlyRecordMixin, WorkListAdmin
from core.admin_links import admin_link, short_id
from core.admin_pages import AdminPage, AdminPagesMixin
from core.inputs import query_text
from core.markup import format_markup
from publishing import channels, receipts, transitions, views
from publishing.models import PublishFailure, PublishReceipt, ReadyVideo
from videos.models import VideoStatus


def _report(request, outcome: transitions.Outcome, verb: str, receipts) -> None:
    """Tell the editor what an operation on several receipts did, naming refusals."""
    names = {r.pk: f"{r.video or 'a video'} on {r.channel}" for r in receipts}
    if outcome.done:
        count = len(outcome.done)
        messages.success(request, f"{capfirst(verb)} {count} publish{'es' if count > 1 else ''}.")
    for receipt_id, why in outcome.refused.items():
        messages.warning(request, f"Not {verb}: {names.get(receipt_id, receipt_id)}: {why}.")


class ChannelFilter(admin.SimpleListFilter):
    """The configured channels, with no query: Django's own filter would read
    every distinct channel off the receipts table."""

    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        choices = [(channel.name, channel.label) for channel in channels.configured().values()]
        # A channel no longer configured still has receipts: filter by it when asked.
        if self.value() and self.value() not in {name for name, _ in choices}:
            choices.append((self.value(), self.value()))
        return choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(channel=self.value())
        return queryset


class PublishActionsMixin:
    """Retry, cancel and retract as admin actions, each behind its own permission."""

    @admin.display(description="When", ordering="timestamp")
    def when_column(self, obj):
        # Short: these lists are wide already. When the receipt last changed status.
        return date_format(localtime(obj.timestamp), "Y-m-d H:i") if obj.timestamp else "—"

    def has_retry_permission(self, request):
        return request.user.has_perm(transitions.RETRY_PERMISSION)

    def has_cancel_permission(self, request):
        return request.user.has_perm(transitions.CANCEL_PERMISSION)

    def has_retract_permission(self, request):
        return request.user.has_perm(transitions.RETRACT_PERMISSION)

    def _run(self, request, queryset, operation, verb):
        receipts = list(queryset.select_related("video"))
        outcome = operation(receipt_ids=[r.pk for r in receipts], editor=request.user)
        _report(request, outcome, verb, receipts)

    @admin.action(description="Retry selected failed publishes", permissions=["retry"])
    def retry_selected(self, request, queryset):
        self._run(request, queryset, receipts.retry_publish, "retried")

    @admin.action(
        description="Cancel selected scheduled or failed publishes", permissions=["cancel"]
    )
    def cancel_selected(self, request, queryset):
        self._run(request, queryset, receipts.cancel_publish, "cancelled")

    @admin.action(description="Retract selected published videos", permissions=["retract"])
    def retract_selected(self, request, queryset):
        self._run(request, queryset, receipts.retract_publish, "retracted")


@admin.register(PublishReceipt)
class PublishReceiptAdmin(ReadOnlyRecordMixin, PublishActionsMixin, ContentAdmin):
    """Receipts are the worker's record, read-only for everyone, superusers
    included: approve, retry, cancel and retract write them. A receipt made or
    edited by hand could claim a publish that never happened (and block the
    channel), or hand the channel's retract a remote id it never gave."""

    list_display = (
        "id_column",
        "video_column",
        "channel",
        "status",
        "remote_column",
        "when_column",
    )
    list_display_links = ("id_column",)
    list_select_related = ("video",)
    list_filter = (ChannelFilter, "status", ("timestamp", admin.DateFieldListFilter))
    # Sorting by another column would sort the whole table.
    sortable_by = ("when_column",)
    text_search_fields = ("remote_id",)
    uuid_search_fields = ("pk", "video_id")
    search_help_text = "Search by receipt or video UUID, or a remote id."
    fields = (
        "video_column",
        "channel",
        "status",
        "remote_column",
        "timestamp",
        "task_column",
        "error",
    )
    readonly_fields = fields
    actions = ("retract_selected", "cancel_selected", "retry_selected")

    def get_queryset(self, request):
        # The change page names the video: one join, not a second query.
        return super().get_queryset(request).select_related("video")

    @admin.display(description="Receipt")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.video)

    @admin.display(description="Remote id", ordering="remote_id")
    def remote_column(self, obj):
        channel = channels.get(obj.channel)
        link = channel.link(obj.remote_id) if channel else None
        if link:
            return format_html(
                '<a href="{}" rel="noopener" target="_blank">{}</a>', link, obj.remote_id
            )
        return obj.remote_id or "—"

    @admin.display(description="Publish task")
    def task_column(self, obj):
        if not obj.task_id:
            return "—"
        url = reverse("admin:videos_task_change", args=[obj.task_id])
        return format_html('<a href="{}">{}</a>', url, str(obj.task_id)[:8])


class ReadyToPublishAdmin(AdminPagesMixin, WorkListAdmin):
    """Videos safety cleared and waiting for an editor, newest first."""

    list_display = ("title_column", "persona_column", "created_at", "approve_column")
    list_display_links = None
    list_select_related = ("persona",)
    list_columns = ("title", "status", "created_at", "persona__name")
    # The order of videos_status_created_idx, the only one offered.
    ordering = ("-created_at",)
    sortable_by = ("created_at",)
    search_fields = ("title__icontains",)
    list_per_page = 50
    actions = None
    admin_pages = (AdminPage("<uuid:video_id>/approve/", views.approve_page, "approve"),)

    def may_work(self, request):
        return request.user.has_perm(transitions.APPROVE_PERMISSION)

    def get_queryset(self, request):
        return ReadyVideo.objects.filter(status=VideoStatus.READY)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Ready to publish", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if query_text(term) is None:
            return queryset.none(), False
        return queryset.filter(title__icontains=term), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(views.approve_url(object_id))

    @admin.display(description="Video", ordering="title")
    def title_column(self, obj):
        return format_markup('<a href="{}">{}</a>', views.approve_url(obj.pk), obj)

    @admin.display(description="Persona")
    def persona_column(self, obj):
        return obj.persona.name if obj.persona_id else "—"

    @admin.display(description="")
    def approve_column(self, obj):
        return format_markup('<a class="button" href="{}">Approve…</a>', views.approve_url(obj.pk))


class PublishFailuresAdmin(PublishActionsMixin, WorkListAdmin):
    """Publishes that failed for good: an editor retries or cancels them."""

    list_display = (
        "video_column",
        "channel",
        "error",
        "attempts_column",
        "when_column",
        "receipt_column",
    )
    list_display_links = None
    list_select_related = ("video", "task")
    list_filter = (ChannelFilter,)
    sortable_by = ("when_column",)
    # The order of publish_receipts_failed_idx.
    ordering = ("-timestamp",)
    list_per_page = 50
    actions = ("retry_selected", "cancel_selected")

    def may_work(self, request):
        return self.has_retry_permission(request) or self.has_cancel_permission(request)

    def get_queryset(self, request):
        return PublishFailure.objects.failures()

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Publish failures: retry or cancel", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(reverse("admin:publishing_publishreceipt_change", args=[object_id]))

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.video)

    @admin.display(description="Attempts")
    def attempts_column(self, obj):
        return obj.task.attempts

    @admin.display(description="Receipt")
    def receipt_column(self, obj):
        url = reverse("admin:publishing_publishreceipt_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, short_id(obj))


admin.site.register(ReadyVideo, ReadyToPublishAdmin)
admin.site.register(PublishFailure, PublishFailuresAdmin)
