from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Event tables are written by triggers on every change of their rows: a plain
    # CREATE INDEX would block those writes for as long as it takes at scale.
    atomic = False

    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("publishing", "0005_list_filter_indexes"),
        ("videos", "0006_list_filter_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="publishreceiptevent",
            index=models.Index(fields=["pgh_created_at"], name="publishing__pgh_cre_85cf48_idx"),
        ),
    ]
