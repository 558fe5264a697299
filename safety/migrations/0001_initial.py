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
CREATE TABLE IF NOT EXISTS safety_reports (
	report_id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
	task_id UUID REFERENCES tasks(task_id),
	score FLOAT,
	issues JSONB,
	requires_human_review BOOLEAN DEFAULT false,
	created_at TIMESTAMPTZ DEFAULT now()
);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="SafetyReport",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="report_id",
                                db_default=core.db.SeedUUID(),
                                default=uuid.uuid4,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("score", models.FloatField(null=True)),
                        ("issues", models.JSONField(null=True)),
                        (
                            "requires_human_review",
                            models.BooleanField(db_default=False, default=False, null=True),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=core.db.SeedNow(),
                                default=django.utils.timezone.now,
                                null=True,
                            ),
                        ),
                        (
                            "task",
                            models.ForeignKey(
                                db_column="task_id",
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="videos.task",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "safety_reports",
                    },
                ),
            ],
        ),
    ]
