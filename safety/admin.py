import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from core.admin_core import ContentAdmin, ReadOnlyRecordMixin
from core.admin_links import admin_link, short_id
from safety.calibration_models import DecisionLog, QALog
from safety.decision_log import DecisionLogAdmin
from safety.issues import issues_summary
from safety.models import QASample, ReviewQueueItem, SafetyReport
from safety.qa_admin import QAQueueAdmin
from safety.qa_log import QALogAdmin
from safety.queue_admin import ReviewQueueAdmin
from safety.review import issue_lines


@admin.register(SafetyReport)
class SafetyReportAdmin(ReadOnlyRecordMixin, ContentAdmin):
    """The pipeline's reports, read-only for everyone, superusers included.

    A report leaves the queue only through a recorded decision (the queue's
    operations); a form that could untick *Requires human review* or lower a
    score would clear it with nothing in the review log.
    """

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
    fields = (
        "task_column",
        "video_column",
        "score",
        "requires_human_review",
        "review_status",
        "issues_column",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # The change page names the task and the video: one join, not two queries.
        return super().get_queryset(request).select_related("task__video")

    @admin.display(description="Report")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Task")
    def task_column(self, obj):
        return admin_link(obj.task)

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.video)

    @admin.display(description="Issues")
    def categories(self, obj):
        return issues_summary(obj.issues) or "—"

    @admin.display(description="Issues")
    def issues_column(self, obj):
        lines = issue_lines(obj.issues)
        if not lines:
            return "None."
        items = format_html_join(
            "",
            "<li><strong>{}</strong> ({}){}{}</li>",
            (
                (
                    line.category,
                    line.severity,
                    f": {line.message}" if line.message else "",
                    f" [{json.dumps(line.extra, default=str)}]" if line.extra else "",
                )
                for line in lines
            ),
        )
        # The document as the pipeline wrote it, so nothing is hidden by the reading above.
        raw = json.dumps(obj.issues, indent=2, default=str)
        return format_html(
            '<ul class="report-issues">{}</ul><details><summary>As stored</summary>'
            "<pre>{}</pre></details>",
            items,
            raw,
        )


admin.site.register(ReviewQueueItem, ReviewQueueAdmin)
admin.site.register(QASample, QAQueueAdmin)
admin.site.register(DecisionLog, DecisionLogAdmin)
admin.site.register(QALog, QALogAdmin)
