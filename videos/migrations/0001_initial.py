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
        ("personas", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    """
CREATE TABLE IF NOT EXISTS videos (
	video_id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
	persona_id UUID REFERENCES personas(persona_id),
	title TEXT,
	state_version INTEGER DEFAULT 0,
	status TEXT,
	published_at TIMESTAMPTZ,
	created_at TIMESTAMPTZ DEFAULT now()
);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE TABLE IF NOT EXISTS tasks (
	task_id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
	video_id UUID REFERENCES videos(video_id),
	type TEXT,
	payload JSONB,
	state_version INTEGER DEFAULT 0,
	status TEXT,
	created_at TIMESTAMPTZ DEFAULT now()
);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE TABLE IF NOT EXISTS artifacts (
	artifact_id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
	video_id UUID REFERENCES videos(video_id),
	s3_path TEXT,
	kind TEXT,
	created_at TIMESTAMPTZ DEFAULT now()
);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE INDEX IF NOT EXISTS idx_tasks_state_version ON tasks(state_version);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE INDEX IF NOT EXISTS idx_videos_state_version ON videos(state_version);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE INDEX IF NOT EXISTS idx_tasks_status ON tasks(status);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Video",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="video_id",
                                db_default=core.db.SeedUUID(),
                                default=uuid.uuid4,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("title", models.TextField(null=True)),
                        ("state_version", models.IntegerField(db_default=0, default=0, null=True)),
                        ("status", models.TextField(null=True)),
                        ("published_at", models.DateTimeField(null=True)),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=core.db.SeedNow(),
                                default=django.utils.timezone.now,
                                null=True,
                            ),
                        ),
                        (
                            "persona",
                            models.ForeignKey(
                                db_column="persona_id",
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="personas.persona",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "videos",
                    },
                ),
                migrations.CreateModel(
                    name="Task",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="task_id",
                                db_default=core.db.SeedUUID(),
                                default=uuid.uuid4,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("type", models.TextField(null=True)),
                        ("payload", models.JSONField(null=True)),
                        ("state_version", models.IntegerField(db_default=0, default=0, null=True)),
                        ("status", models.TextField(null=True)),
                        (
                            "created_at",
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
                        "db_table": "tasks",
                    },
                ),
                migrations.CreateModel(
                    name="Artifact",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="artifact_id",
                                db_default=core.db.SeedUUID(),
                                default=uuid.uuid4,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("s3_path", models.TextField(null=True)),
                        ("kind", models.TextField(null=True)),
                        (
                            "created_at",
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
                        "db_table": "artifacts",
                    },
                ),
                migrations.AddIndex(
                    model_name="video",
                    index=models.Index(fields=["state_version"], name="idx_videos_state_version"),
                ),
                migrations.AddIndex(
                    model_name="task",
                    index=models.Index(fields=["state_version"], name="idx_tasks_state_version"),
                ),
                migrations.AddIndex(
                    model_name="task",
                    index=models.Index(fields=["status"], name="idx_tasks_status"),
                ),
            ],
        ),
    ]
