"""The QA queue in the admin: drawn reports waiting for a blind second review
(moderators), and disagreements waiting for a lead. The list shows nothing of
the first verdict, nor who gave it; a reviewer never sees their own decisions."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html

from core import inputs
from core.admin_core import WorkListAdmin
from core.admin_pages import AdminPage, AdminPagesMixin
from safety import qa, qa_views
from safety.issues import issues_summary
from safety.models import QAStatus
from safety.queue import describe_wait
from safety.queue_admin import WorkStateFilter


class QAStateFilter(WorkStateFilter):
    def lookups(self, request, model_admin):
        return [("open", "Waiting for a second review"), ("disputed", "Disagreements (for leads)")]

    def queryset(self, request, queryset):
        if self.value() == "disputed":
            return queryset.filter(status=QAStatus.DISPUTED)
        return qa.reviewable_by(request.user, queryset)


class QAQueueAdmin(AdminPagesMixin, WorkListAdmin):
    list_display = ("waiting_column", "issues_column", "video_column", "holder_column", "qa_column")
    list_display_links = None
    list_select_related = ("report__task__video", "claimed_by")
    list_filter = (QAStateFilter,)
    ordering = qa.QUEUE_ORDER
    list_per_page = 50
    actions = None
    change_list_template = "admin/safety/qa_queue.html"
    admin_pages = (
        AdminPage("next/", qa_views.review_next, "next"),
        AdminPage("agreement/", qa_views.agreement_page, "agreement"),
        AdminPage("<int:sample_id>/review/", qa_views.review_page, "review"),
        AdminPage("<int:sample_id>/claim/", qa_views.claim, "claim"),
        AdminPage("<int:sample_id>/renew/", qa_views.renew, "renew"),
        AdminPage("<int:sample_id>/release/", qa_views.release, "release"),
        AdminPage("<int:sample_id>/decide/", qa_views.decide, "decide"),
        AdminPage("<int:sample_id>/resolve/", qa_views.resolve, "resolve"),
    )

    def may_work(self, request):
        return qa_views.may_work(request.user)

    def get_queryset(self, request):
        return qa.QASample.objects.filter(status__in=[QAStatus.OPEN, QAStatus.DISPUTED])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            sample_id = inputs.form_int(object_id, name="QA sample", minimum=1)
        except inputs.InvalidInput:
            raise Http404("No such QA sample.") from None
        if sample_id is None:
            raise Http404("No such QA sample.")
        return qa_views.review_page(request, self, sample_id)

    def changelist_view(self, request, extra_context=None):
        is_lead = request.user.has_perm(qa.RESOLVE_PERMISSION)
        return super().changelist_view(request, {"is_lead": is_lead, **(extra_context or {})})

    @admin.display(description="Waiting", ordering="created_at")
    def waiting_column(self, obj):
        return describe_wait(timezone.now() - obj.created_at)

    @admin.display(description="Issues")
    def issues_column(self, obj):
        return issues_summary(obj.report.issues, worst_first=True, limit=3) or "—"

    @admin.display(description="Video")
    def video_column(self, obj):
        # The title only: the video's page would tell its status, hence the verdict.
        return str(obj.report.video or "—")

    @admin.display(description="Held by")
    def holder_column(self, obj):
        if obj.claim_is_live(timezone.now()):
            until = timezone.localtime(obj.claim_expires_at).strftime("%H:%M")
            return format_html("{} until {}", obj.claimed_by.get_username(), until)
        return "—"

    @admin.display(description="")
    def qa_column(self, obj):
        label = "Settle" if obj.status == QAStatus.DISPUTED else "Review"
        return format_html('<a class="button" href="{}">{}</a>', qa_views.qa_url(obj.pk), label)
