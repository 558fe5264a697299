from django.apps import AppConfig


class SeedingConfig(AppConfig):
    # No models: the demo data and the scale dataset, loaded through the apps'
    # models and operations by `seed_demo` and `seed_scale`.
    name = "seeding"
    verbose_name = "Seed data"
