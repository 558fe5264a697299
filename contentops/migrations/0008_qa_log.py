from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0007_calibration"),
        ("safety", "0010_qa_log"),
    ]

    operations = [
        # Leads read the QA log (and export it, with the decision log's permission).
        grant_roles({"Leads": ["safety.view_qalog"]})
    ]
