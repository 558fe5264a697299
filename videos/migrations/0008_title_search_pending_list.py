import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

INDEX = "videos_title_trgm_idx"


class Migration(migrations.Migration):
    """The title search index's pending list bounded at 64 kB (see Video.Meta),
    set on the index as it stands rather than built again, and flushed once."""

    dependencies = [
        ("videos", "0007_history_event_time"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="video", name=INDEX),
                migrations.AddIndex(
                    model_name="video",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass(
                            django.db.models.functions.text.Upper("title"), name="gin_trgm_ops"
                        ),
                        gin_pending_list_limit=64,
                        name=INDEX,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER INDEX {INDEX} SET (gin_pending_list_limit = 64)",
                    f"ALTER INDEX {INDEX} RESET (gin_pending_list_limit)",
                ),
                migrations.RunSQL(
                    f"SELECT gin_clean_pending_list('{INDEX}'::regclass)",
                    migrations.RunSQL.noop,
                ),
            ],
        )
    ]
