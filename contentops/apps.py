from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ContentopsAdminConfig(AdminConfig):
    default_site = "contentops.admin_site.ContentopsAdminSite"


class ContentopsConfig(AppConfig):
    name = "contentops"
    verbose_name = "Content operations"

    def ready(self):
        from django.db.backends.signals import connection_created

        from contentops.db import register_clamping_loaders

        # Every connection, in every process: a timestamp past year 9999 in any
        # row must not break the pages or the worker that read it.
        connection_created.connect(register_clamping_loaders, dispatch_uid="clamping_loaders")
