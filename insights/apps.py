from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InsightsConfig(AppConfig):
    """What leads watch: rollups kept up to date as work happens, and the dashboard over them."""

    name = "insights"
    verbose_name = "Insights"

    def ready(self):
        from insights import quality, rollups, sampling, sections
        from publishing.worker import add_sweep_step

        add_sweep_step(sampling.sample_queue)
        post_migrate.connect(rollups.sync_sla, sender=self)
        sections.register()
        quality.register()
