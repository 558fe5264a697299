from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0003_leads"),
        ("safety", "0008_calibration"),
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
