from django.db import migrations

from contentops.roles import revoke_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0001_roles"),
        ("safety", "0004_moderator_permissions"),
        ("publishing", "0004_editor_permissions"),
    ]

    operations = [
        # Reports and receipts are the pipeline's and the worker's record, read-only
        # in the admin for everyone: these permissions no longer allow anything.
        revoke_roles(
            {
                "Moderators": ["safety.change_safetyreport"],
                "Editors": ["publishing.add_publishreceipt"],
            }
        )
    ]
