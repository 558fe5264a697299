from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from publishing import channels

        checks.register(channels.check_configuration)
        post_migrate.connect(channels.sync_permissions, sender=self)
