"""The seed schema (spec/schema.sql) for this app's tables, as it was handed to us.

The database side runs the seed's own DDL with IF NOT EXISTS, so `migrate` adopts a
database that was built from spec/schema.sql (and keeps its rows) and builds the
same tables on an empty one. Django's model state is declared beside it.
"""

import core.db
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("videos", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    """
CREATE TABLE IF NOT EXISTS publish_receipts (
	publish_id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
	video_id UUID REFERENCES videos(video_id),
	channel TEXT,
	status TEXT,
	remote_id TEXT,
	timestamp TIMESTAMPTZ DEFAULT now()
);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE INDEX IF NOT EXISTS idx_publish_channel ON publish_receipts(channel);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="PublishReceipt",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="publish_id",
                                db_default=core.db.SeedUUID(),
                                default=uuid.uuid4,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("channel", models.TextField(null=True)),
                        ("status", models.TextField(null=True)),
                        ("remote_id", models.TextField(null=True)),
                        (
                            "timestamp",
                            models.DateTimeField(
                                db_default=core.db.SeedNow(),
                                default=django.utils.timezone.now,
                                null=True,
                            ),
                        ),
                        (
                            "video",
                            models.ForeignKey(
                                db_column="video_id",
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="videos.video",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "publish_receipts",
                        "indexes": [models.Index(fields=["channel"], name="idx_publish_channel")],
                    },
                ),
            ],
        ),
    ]
