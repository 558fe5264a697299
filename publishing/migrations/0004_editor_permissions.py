from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0001_roles"),
        ("publishing", "0003_publish_workflow"),
    ]

    operations = [
        grant_roles(
            {
                "Editors": [
                    "publishing.approve_publish",
                    "publishing.retry_publish",
                    "publishing.cancel_publish",
                    "publishing.retract_publish",
                ]
            }
        )
    ]
