from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0003_leads"),
        ("monitoring", "0001_initial"),
    ]

    operations = [
        # Leads watch the queue's and the pipeline's health: the incidents list.
        grant_roles({"Leads": ["monitoring.view_incident"]})
    ]
