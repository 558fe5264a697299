from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from publishing import channels, lapses
        from safety import signals

        signals.video_rejected.connect(lapses.cancel_rejected_publishes, dispatch_uid="publishing")
        checks.register(channels.check_configuration)
        post_migrate.connect(channels.sync_permissions, sender=self)
