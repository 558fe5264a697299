from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Alerts, the health endpoint and Prometheus metrics."""

    name = "monitoring"
