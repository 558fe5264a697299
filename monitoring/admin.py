from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone

from core.admin_core import BoundedListAdmin, ReadOnlyRecordMixin
from monitoring import notifications
from monitoring.models import Incident
from safety.queue import describe_wait


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in ("open", "resolved"):
            raise IncorrectLookupParameters(f"state={value!r}")
        return queryset.filter(resolved_at__isnull=value == "open")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyRecordMixin, BoundedListAdmin):
    """The monitor's record: read-only for everyone, superusers included (the
    monitor opens, notifies and resolves incidents). Leads hold the view
    permission."""

    list_display = (
        "opened_at",
        "kind",
        "subject",
        "summary",
        "state_column",
        "notified_column",
        "notify_error",
    )
    list_filter = ("kind", StateFilter)
    # Only the opening time has an index to sort by.
    sortable_by = ("opened_at",)
    ordering = ("-opened_at",)
    list_per_page = 50
    fields = (
        "kind",
        "subject",
        "summary",
        "opened_at",
        "resolved_at",
        "webhook_sent_at",
        "email_sent_at",
        "notify_attempts",
        "next_notify_at",
        "notify_error",
    )
    readonly_fields = fields

    @admin.display(description="State")
    def state_column(self, obj):
        if obj.is_open:
            return f"open for {describe_wait(timezone.now() - obj.opened_at)}"
        return f"resolved {timezone.localtime(obj.resolved_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Notified")
    def notified_column(self, obj):
        sent = [way for way, name in notifications.SENT_FIELD.items() if getattr(obj, name)]
        if sent:
            return ", ".join(sent)
        return "retrying" if obj.next_notify_at else "—"
