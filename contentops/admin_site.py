from django.contrib import admin


class ContentopsAdminSite(admin.AdminSite):
    site_header = "contentops"
    site_title = "contentops"
    index_title = "Back office"

    def index(self, request, extra_context=None):
        from safety.queue import describe_wait, queue_summary
        from safety.services import REVIEW_PERMISSION

        if request.user.has_perm(REVIEW_PERMISSION):
            summary = queue_summary()
            extra_context = {
                "review_queue": summary,
                "review_queue_wait": describe_wait(summary.oldest_wait),
                **(extra_context or {}),
            }
        return super().index(request, extra_context)
