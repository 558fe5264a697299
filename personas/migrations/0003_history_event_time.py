from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Event tables are written by triggers on every change of their rows: a plain
    # CREATE INDEX would block those writes for as long as it takes at scale.
    atomic = False

    dependencies = [
        ("personas", "0002_history_indexes"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="personaevent",
            index=models.Index(fields=["pgh_created_at"], name="personas_pe_pgh_cre_b9e76c_idx"),
        ),
    ]
