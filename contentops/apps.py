from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ContentopsAdminConfig(AdminConfig):
    default_site = "contentops.admin_site.ContentopsAdminSite"


# The most digits before the point a Postgres numeric (so a jsonb number) holds.
JSONB_INTEGER_DIGITS = 131072


class ContentopsConfig(AppConfig):
    name = "contentops"
    verbose_name = "Content operations"

    def ready(self):
        import sys

        from django.apps import apps
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from contentops.retention import prune_history_step
        from contentops.timeline import add_timeline_page
        from contentops.trigger_owner import run_as_owner
        from core.db import register_clamping_loaders
        from publishing.worker import add_sweep_step

        # Every connection, in every process: a timestamp past year 9999 in any
        # row must not break the pages or the worker that read it.
        connection_created.connect(register_clamping_loaders, dispatch_uid="clamping_loaders")
        # Every integer jsonb holds (up to 131,072 digits) must be readable: Python
        # refuses ints of more than 4,300 digits by default, and a pipeline row
        # holding one would break every page listing it. Reading the largest takes
        # under a second, so the limit still bounds the cost of hostile input.
        sys.set_int_max_str_digits(JSONB_INTEGER_DIGITS)
        # The video timeline reads safety and publishing, which videos may not import.
        add_timeline_page()
        # Old history goes a batch per table per sweep (HISTORY_RETENTION_DAYS).
        add_sweep_step(prune_history_step)
        # A pipeline role with grants on its own tables alone can still write
        # them: our triggers there run as their owner, set after every migrate
        # (post_migrate is sent once per app with models; this package has none).
        post_migrate.connect(
            run_as_owner, sender=apps.get_app_config("videos"), dispatch_uid="run_as_owner"
        )
