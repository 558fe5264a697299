from functools import partial

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor, two_factor_views
from core.admin_pages import AdminPage, AdminPagesMixin

User = get_user_model()


class UserAdmin(AdminPagesMixin, auth_admin.UserAdmin):
    """Django's user admin, plus the account pages (second factor, sessions) in `admin_pages`."""

    admin_pages = (
        AdminPage("two-factor/", two_factor_views.setup_page, "two_factor"),
        AdminPage("two-factor/verify/", two_factor_views.verify_page, "two_factor_verify"),
        AdminPage(
            "two-factor/backup-codes/", two_factor_views.backup_codes, "two_factor_backup_codes"
        ),
        AdminPage(
            "<path:object_id>/two-factor/reset/", two_factor_views.reset_page, "two_factor_reset"
        ),
    )
    change_form_template = "admin/accounts/user/change_form.html"
    object_history_template = "admin/accounts/user/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        # Django's log of admin edits, and the second factor's own (accounts.models):
        # read by the template, so only once Django has checked the permission.
        events = partial(two_factor.events_of, unquote(object_id))
        extra = {"two_factor_events": events, **(extra_context or {})}
        return super().history_view(request, object_id, extra)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
# Devices change only through accounts.two_factor, which records who did it;
# django-otp's own admins would also show the secrets they hold.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
