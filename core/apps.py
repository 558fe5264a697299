from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Installed only so Django finds core's templates (admin/core/) and static files (core/)."""

    name = "core"
    verbose_name = "Core"
