from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0004_monitoring"),
        ("safety", "0008_qa"),
    ]

    operations = [
        # A lead's verdict settles a disagreement between a decision and its
        # blind second review (QA).
        grant_roles({"Leads": ["safety.resolve_qasample"]})
    ]
