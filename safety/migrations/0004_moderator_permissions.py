from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0001_roles"),
        ("safety", "0003_review_queue"),
    ]

    operations = [
        grant_roles(
            {"Moderators": ["safety.review_safetyreport", "safety.takeover_safetyreport"]}
        )
    ]
