from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0005_qa"),
        ("insights", "0001_rollups"),
    ]

    operations = [
        # Leads see every section of the dashboard; other roles see the sections
        # their own permissions open (insights.sections.register).
        grant_roles({"Leads": ["insights.view_dashboard"]}),
    ]
