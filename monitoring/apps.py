from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Alerts, the health endpoint and Prometheus metrics."""

    name = "monitoring"

    def ready(self):
        from django.core import checks

        from monitoring.checks import check_alert_settings
        from monitoring.heartbeat import beat
        from publishing.worker import add_sweep_step

        checks.register(check_alert_settings)

        # Every publish worker says it is alive on each sweep; /health/ reads it.
        add_sweep_step(beat)
