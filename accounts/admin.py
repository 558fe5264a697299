from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model

from core.admin_pages import AdminPagesMixin

User = get_user_model()


class UserAdmin(AdminPagesMixin, auth_admin.UserAdmin):
    """Django's user admin, plus the account pages (second factor, sessions) in `admin_pages`."""

    admin_pages = ()


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
