from django.urls import URLResolver

from accounts.two_factor_forms import SignInForm
from core.admin_core import keyed_pattern
from core.admin_frame import KeptFrameSite


class ContentopsAdminSite(KeptFrameSite):
    site_header = "contentops"
    site_title = "contentops"
    index_title = "Back office"
    # The second factor's code is asked on the sign-in form itself.
    login_form = SignInForm
    login_template = "admin/accounts/login.html"

    def get_urls(self):
        # Every model's URLs, Django's own and those our admins add, answer 404
        # for an id that cannot be a key (see keyed_pattern): checked once here.
        admins = {
            f"{model._meta.app_label}/{model._meta.model_name}/": model_admin
            for model, model_admin in self._registry.items()
        }
        urls = super().get_urls()
        for entry in urls:
            model_admin = admins.get(str(entry.pattern)) if isinstance(entry, URLResolver) else None
            if model_admin is not None:
                entry.urlconf_name = [keyed_pattern(model_admin, p) for p in entry.urlconf_name]
        return urls

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
