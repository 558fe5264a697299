from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0006_dashboard"),
        ("safety", "0009_calibration"),
    ]

    operations = [
        # Leads read the decision log, export it and watch the score's calibration.
        grant_roles(
            {
                "Leads": [
                    "safety.view_decisionlog",
                    "safety.export_decisionlog",
                    "safety.view_calibration",
                ]
            }
        )
    ]
