from django.apps import AppConfig
from django.core import checks


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Safety"

    def ready(self):
        from safety import qa_sampling

        checks.register(qa_sampling.check_rates)
