from django.contrib import admin

from core.admin_pages import AdminPage, AdminPagesMixin, page_urls
from insights import views
from insights.dashboard import visible_sections
from insights.models import Dashboard


@admin.register(Dashboard)
class DashboardAdmin(AdminPagesMixin, admin.ModelAdmin):
    """Only the dashboard page: the model has no rows to list, add or change.
    Named `changelist` so the site index links it to whoever may see a section."""

    admin_pages = (AdminPage("", views.dashboard, "changelist"),)

    def get_urls(self):
        return page_urls(self)

    def has_view_permission(self, request, obj=None):
        return bool(visible_sections(request.user))

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
