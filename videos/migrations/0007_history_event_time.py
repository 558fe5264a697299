from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Event tables are written by triggers on every change of their rows: a plain
    # CREATE INDEX would block those writes for as long as it takes at scale.
    atomic = False

    dependencies = [
        ("personas", "0003_history_event_time"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("videos", "0006_list_filter_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="artifactevent",
            index=models.Index(fields=["pgh_created_at"], name="videos_arti_pgh_cre_39f0bc_idx"),
        ),
        AddIndexConcurrently(
            model_name="taskevent",
            index=models.Index(fields=["pgh_created_at"], name="videos_task_pgh_cre_c30b4c_idx"),
        ),
        AddIndexConcurrently(
            model_name="videoevent",
            index=models.Index(fields=["pgh_created_at"], name="videos_vide_pgh_cre_42c6eb_idx"),
        ),
    ]
