from django import forms
from django.contrib import admin

from contentops.admin_core import ContentAdmin
from contentops.admin_links import admin_link, short_id
from contentops.json_fields import PrettyJSONField
from safety.issues import issues_summary, validate_issues
from safety.models import ReviewQueueItem, SafetyReport
from safety.queue_admin import ReviewQueueAdmin


class SafetyReportForm(forms.ModelForm):
    issues = PrettyJSONField(required=False, shape=validate_issues)

    class Meta:
        model = SafetyReport
        fields = ["task", "score", "requires_human_review", "issues"]


@admin.register(SafetyReport)
class SafetyReportAdmin(ContentAdmin):
    form = SafetyReportForm
    list_display = (
        "id_column",
        "video_column",
        "score",
        "categories",
        "requires_human_review",
        "created_at",
    )
    list_display_links = ("id_column",)
    list_select_related = ("task__video",)
    list_filter = ("requires_human_review",)
    sortable_by = ("created_at",)
    uuid_search_fields = ("pk", "task_id", "task__video_id")
    search_help_text = "Search by report, task or video UUID."
    raw_id_fields = ("task",)

    @admin.display(description="Report")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.task.video if obj.task else None)

    @admin.display(description="Issues")
    def categories(self, obj):
        return issues_summary(obj.issues) or "—"


admin.site.register(ReviewQueueItem, ReviewQueueAdmin)
