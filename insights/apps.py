from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """What leads watch: rollups kept up to date as work happens, and the dashboard over them."""

    name = "insights"
