from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Alerts, the health endpoint and Prometheus metrics."""

    name = "monitoring"

    def ready(self):
        from monitoring.heartbeat import beat
        from publishing.worker import add_sweep_step

        # Every publish worker says it is alive on each sweep; /health/ reads it.
        add_sweep_step(beat)
