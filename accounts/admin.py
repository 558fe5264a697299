from functools import partial

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout, two_factor, two_factor_views
from accounts.lockout_models import UnlockRule
from accounts.lockout_views import lockouts_page
from accounts.sessions_views import sessions_page
from core.admin_core import BoundedListAdmin, ReadOnlyRecordMixin
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
        AdminPage("<path:object_id>/sessions/", sessions_page, "sessions"),
    )
    # Links the user's pages (two-factor reset, sign out everywhere) above the form.
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

# Every user reaches their own "sign out everywhere" from the password-change page.
admin.site.password_change_template = "admin/accounts/password_change_form.html"


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AdminPagesMixin, ReadOnlyRecordMixin, BoundedListAdmin):
    """Failed sign-ins as django-axes recorded them (one row per user name,
    address and browser), for administrators; unlocking is an operation."""

    list_display = ("attempt_time", "username", "ip_address", "failures_since_start", "user_agent")
    list_display_links = None
    search_fields = ("=username", "=ip_address")
    ordering = ("-attempt_time",)
    actions = ("unlock_selected",)
    change_list_template = "admin/accounts/accessattempt_change_list.html"
    admin_pages = (AdminPage("lockouts/", lockouts_page, "lockouts"),)

    def may_unlock(self, request) -> bool:
        return lockout.unlock_problem(user=request.user) is None

    def has_view_permission(self, request, obj=None):
        return self.may_unlock(request)

    def has_module_permission(self, request):
        return self.may_unlock(request)

    def has_unlock_permission(self, request):
        return self.may_unlock(request)

    @admin.action(permissions=["unlock"], description="Unlock these user names at these addresses")
    def unlock_selected(self, request, queryset):
        # Rows differ by browser too: unlock each name at each address once.
        for username, address in set(queryset.values_list("username", "ip_address")):
            lockout.unlock(
                by=request.user,
                rule=UnlockRule.NAME_AT_ADDRESS,
                username=username,
                ip_address=address,
            )
        self.message_user(request, "Unlocked; the unlocks are recorded.", messages.SUCCESS)
