from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Event tables are written by triggers on every change of their rows: a plain
    # CREATE INDEX would block those writes for as long as it takes at scale.
    atomic = False

    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("safety", "0010_qa_log"),
        ("videos", "0007_history_event_time"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="safetyreportevent",
            index=models.Index(fields=["pgh_created_at"], name="safety_safe_pgh_cre_d05ec8_idx"),
        ),
    ]
