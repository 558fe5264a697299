from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ContentopsAdminConfig(AdminConfig):
    default_site = "contentops.admin_site.ContentopsAdminSite"


class ContentopsConfig(AppConfig):
    name = "contentops"
    verbose_name = "Content operations"
