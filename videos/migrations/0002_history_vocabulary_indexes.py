import core.db
import core.locking
import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
import uuid
import core.migration_checks
import videos.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("personas", "0002_history_indexes"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("videos", "0001_initial"),
    ]

    operations = [
        core.migration_checks.require_vocabulary("videos", "status", videos.models.VideoStatus),
        core.migration_checks.require_vocabulary("tasks", "type", videos.models.TaskType),
        core.migration_checks.require_vocabulary("tasks", "status", videos.models.TaskStatus),
        core.migration_checks.require_vocabulary("artifacts", "kind", videos.models.ArtifactKind),
        migrations.CreateModel(
            name="ArtifactEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                (
                    "id",
                    models.UUIDField(
                        db_column="artifact_id",
                        db_default=core.db.SeedUUID(),
                        default=uuid.uuid4,
                        serialize=False,
                    ),
                ),
                ("s3_path", models.TextField(null=True)),
                (
                    "kind",
                    models.TextField(
                        choices=[
                            ("script", "Script"),
                            ("render", "Render"),
                            ("thumbnail", "Thumbnail"),
                            ("audio", "Audio"),
                        ],
                        null=True,
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=core.db.SeedNow(),
                        default=django.utils.timezone.now,
                        editable=False,
                        null=True,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="TaskEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("state_version", core.locking.VersionField(db_default=0, default=0)),
                (
                    "id",
                    models.UUIDField(
                        db_column="task_id",
                        db_default=core.db.SeedUUID(),
                        default=uuid.uuid4,
                        serialize=False,
                    ),
                ),
                (
                    "type",
                    models.TextField(
                        choices=[
                            ("script", "Script"),
                            ("audio", "Audio"),
                            ("render", "Render"),
                            ("thumbnail", "Thumbnail"),
                            ("safety_check", "Safety check"),
                            ("publish", "Publish"),
                        ],
                        null=True,
                    ),
                ),
                ("payload", models.JSONField(blank=True, null=True)),
                (
                    "status",
                    models.TextField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("succeeded", "Succeeded"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="queued",
                        null=True,
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=core.db.SeedNow(),
                        default=django.utils.timezone.now,
                        editable=False,
                        null=True,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="VideoEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("state_version", core.locking.VersionField(db_default=0, default=0)),
                (
                    "id",
                    models.UUIDField(
                        db_column="video_id",
                        db_default=core.db.SeedUUID(),
                        default=uuid.uuid4,
                        serialize=False,
                    ),
                ),
                ("title", models.TextField(null=True)),
                (
                    "status",
                    models.TextField(
                        choices=[
                            ("draft", "Draft"),
                            ("producing", "Producing"),
                            ("in_review", "In review"),
                            ("ready", "Ready"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("rejected", "Rejected"),
                            ("failed", "Failed"),
                            ("archived", "Archived"),
                        ],
                        default="draft",
                        null=True,
                    ),
                ),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=core.db.SeedNow(),
                        default=django.utils.timezone.now,
                        editable=False,
                        null=True,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.AlterModelOptions(
            name="artifact",
            options={"ordering": ["-created_at"]},
        ),
        migrations.AlterModelOptions(
            name="task",
            options={"ordering": ["-created_at"]},
        ),
        migrations.AlterModelOptions(
            name="video",
            options={"ordering": ["-created_at"]},
        ),
        migrations.AlterField(
            model_name="artifact",
            name="created_at",
            field=models.DateTimeField(
                db_default=core.db.SeedNow(),
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="artifact",
            name="kind",
            field=models.TextField(
                choices=[
                    ("script", "Script"),
                    ("render", "Render"),
                    ("thumbnail", "Thumbnail"),
                    ("audio", "Audio"),
                ],
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="created_at",
            field=models.DateTimeField(
                db_default=core.db.SeedNow(),
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="payload",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="task",
            name="state_version",
            field=core.locking.VersionField(db_default=0, default=0),
        ),
        migrations.AlterField(
            model_name="task",
            name="status",
            field=models.TextField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="queued",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="type",
            field=models.TextField(
                choices=[
                    ("script", "Script"),
                    ("audio", "Audio"),
                    ("render", "Render"),
                    ("thumbnail", "Thumbnail"),
                    ("safety_check", "Safety check"),
                    ("publish", "Publish"),
                ],
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="video",
            field=models.ForeignKey(
                blank=True,
                db_column="video_id",
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="videos.video",
            ),
        ),
        migrations.AlterField(
            model_name="video",
            name="created_at",
            field=models.DateTimeField(
                db_default=core.db.SeedNow(),
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="video",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="video",
            name="state_version",
            field=core.locking.VersionField(db_default=0, default=0),
        ),
        migrations.AlterField(
            model_name="video",
            name="status",
            field=models.TextField(
                choices=[
                    ("draft", "Draft"),
                    ("producing", "Producing"),
                    ("in_review", "In review"),
                    ("ready", "Ready"),
                    ("approved", "Approved"),
                    ("published", "Published"),
                    ("rejected", "Rejected"),
                    ("failed", "Failed"),
                    ("archived", "Archived"),
                ],
                default="draft",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="artifact",
            index=models.Index(fields=["video", "kind"], name="artifacts_video_kind_idx"),
        ),
        migrations.AddIndex(
            model_name="artifact",
            index=models.Index(fields=["-created_at"], name="artifacts_created_at_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["video", "created_at"], name="tasks_video_created_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["-created_at"], name="tasks_created_at_idx"),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(fields=["persona"], name="videos_persona_id_idx"),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(fields=["-created_at"], name="videos_created_at_idx"),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(fields=["status", "-created_at"], name="videos_status_created_idx"),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="artifact",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "videos_artifactevent" ("artifact_id", "created_at", "kind", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "s3_path", "video_id") VALUES (NEW."artifact_id", NEW."created_at", NEW."kind", _pgh_attach_context(), NOW(), \'insert\', NEW."artifact_id", NEW."s3_path", NEW."video_id"); RETURN NULL;',
                    hash="e267144e5ea14df88ce2521fc1f1d10b98aacbc4",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_e2aa2",
                    table="artifacts",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="artifact",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "videos_artifactevent" ("artifact_id", "created_at", "kind", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "s3_path", "video_id") VALUES (NEW."artifact_id", NEW."created_at", NEW."kind", _pgh_attach_context(), NOW(), \'update\', NEW."artifact_id", NEW."s3_path", NEW."video_id"); RETURN NULL;',
                    hash="b5751cf3dec55408be93dcf051aedaff4b7457a9",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_24e0c",
                    table="artifacts",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="artifact",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "videos_artifactevent" ("artifact_id", "created_at", "kind", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "s3_path", "video_id") VALUES (OLD."artifact_id", OLD."created_at", OLD."kind", _pgh_attach_context(), NOW(), \'delete\', OLD."artifact_id", OLD."s3_path", OLD."video_id"); RETURN NULL;',
                    hash="e4ba229397115b41793dca64c470c9afeee0ad94",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_01e5e",
                    table="artifacts",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="task",
            trigger=pgtrigger.compiler.Trigger(
                name="bump_state_version",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n            IF NEW.state_version IS NOT DISTINCT FROM OLD.state_version + 1 THEN\n                RETURN NEW;\n            END IF;\n            IF NEW.state_version IS DISTINCT FROM OLD.state_version\n               OR ROW(NEW.video_id, NEW.type, NEW.payload, NEW.status) IS DISTINCT FROM ROW(OLD.video_id, OLD.type, OLD.payload, OLD.status) THEN\n                NEW.state_version := OLD.state_version + 1;\n            END IF;\n            RETURN NEW;\n        ",
                    hash="536e49281d67b98bb753daa63960059a728314f5",
                    operation="UPDATE",
                    pgid="pgtrigger_bump_state_version_6fda6",
                    table="tasks",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="task",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "videos_taskevent" ("created_at", "payload", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "state_version", "status", "task_id", "type", "video_id") VALUES (NEW."created_at", NEW."payload", _pgh_attach_context(), NOW(), \'insert\', NEW."task_id", NEW."state_version", NEW."status", NEW."task_id", NEW."type", NEW."video_id"); RETURN NULL;',
                    hash="fda445672ed70980f16a10a2c19a538408f466fa",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_92d59",
                    table="tasks",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="task",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "videos_taskevent" ("created_at", "payload", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "state_version", "status", "task_id", "type", "video_id") VALUES (NEW."created_at", NEW."payload", _pgh_attach_context(), NOW(), \'update\', NEW."task_id", NEW."state_version", NEW."status", NEW."task_id", NEW."type", NEW."video_id"); RETURN NULL;',
                    hash="0027ed5a5eaf6e65cdaa16315159023a1def1884",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_caedb",
                    table="tasks",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="task",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "videos_taskevent" ("created_at", "payload", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "state_version", "status", "task_id", "type", "video_id") VALUES (OLD."created_at", OLD."payload", _pgh_attach_context(), NOW(), \'delete\', OLD."task_id", OLD."state_version", OLD."status", OLD."task_id", OLD."type", OLD."video_id"); RETURN NULL;',
                    hash="959400c8d875972ae8093c8a59ab162f90671da3",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_1ab77",
                    table="tasks",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="video",
            trigger=pgtrigger.compiler.Trigger(
                name="bump_state_version",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n            IF NEW.state_version IS NOT DISTINCT FROM OLD.state_version + 1 THEN\n                RETURN NEW;\n            END IF;\n            IF NEW.state_version IS DISTINCT FROM OLD.state_version\n               OR ROW(NEW.persona_id, NEW.title, NEW.status, NEW.published_at) IS DISTINCT FROM ROW(OLD.persona_id, OLD.title, OLD.status, OLD.published_at) THEN\n                NEW.state_version := OLD.state_version + 1;\n            END IF;\n            RETURN NEW;\n        ",
                    hash="fd8898e2e7dd5bc57bec773f5dd4c060bf04b830",
                    operation="UPDATE",
                    pgid="pgtrigger_bump_state_version_41f54",
                    table="videos",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="video",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "videos_videoevent" ("created_at", "persona_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "published_at", "state_version", "status", "title", "video_id") VALUES (NEW."created_at", NEW."persona_id", _pgh_attach_context(), NOW(), \'insert\', NEW."video_id", NEW."published_at", NEW."state_version", NEW."status", NEW."title", NEW."video_id"); RETURN NULL;',
                    hash="9cb18a52dd23f500bc07f386ef9bfd94ffcd3316",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_df886",
                    table="videos",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="video",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "videos_videoevent" ("created_at", "persona_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "published_at", "state_version", "status", "title", "video_id") VALUES (NEW."created_at", NEW."persona_id", _pgh_attach_context(), NOW(), \'update\', NEW."video_id", NEW."published_at", NEW."state_version", NEW."status", NEW."title", NEW."video_id"); RETURN NULL;',
                    hash="686d68fd00271f1ea34185160c0f146e63c4e981",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_efd23",
                    table="videos",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="video",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "videos_videoevent" ("created_at", "persona_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "published_at", "state_version", "status", "title", "video_id") VALUES (OLD."created_at", OLD."persona_id", _pgh_attach_context(), NOW(), \'delete\', OLD."video_id", OLD."published_at", OLD."state_version", OLD."status", OLD."title", OLD."video_id"); RETURN NULL;',
                    hash="a2bb920ec95b2a05d882bb3cd41a1a88ab2c86a0",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_c1af9",
                    table="videos",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="artifact",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind__in", ["script", "render", "thumbnail", "audio"]),
                    ("kind__isnull", True),
                    _connector="OR",
                ),
                name="artifacts_kind_valid",
                violation_error_message="%(name)s: kind must be one of script, render, thumbnail, audio.",
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "type__in",
                        ["script", "audio", "render", "thumbnail", "safety_check", "publish"],
                    ),
                    ("type__isnull", True),
                    _connector="OR",
                ),
                name="tasks_type_valid",
                violation_error_message="%(name)s: type must be one of script, audio, render, thumbnail, safety_check, publish.",
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["queued", "running", "succeeded", "failed", "cancelled"]),
                    ("status__isnull", True),
                    _connector="OR",
                ),
                name="tasks_status_valid",
                violation_error_message="%(name)s: status must be one of queued, running, succeeded, failed, cancelled.",
            ),
        ),
        migrations.AddConstraint(
            model_name="video",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "draft",
                            "producing",
                            "in_review",
                            "ready",
                            "approved",
                            "published",
                            "rejected",
                            "failed",
                            "archived",
                        ],
                    ),
                    ("status__isnull", True),
                    _connector="OR",
                ),
                name="videos_status_valid",
                violation_error_message="%(name)s: status must be one of draft, producing, in_review, ready, approved, published, rejected, failed, archived.",
            ),
        ),
        migrations.AddField(
            model_name="artifactevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="artifactevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="videos.artifact",
            ),
        ),
        migrations.AddField(
            model_name="artifactevent",
            name="video",
            field=models.ForeignKey(
                db_column="video_id",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="videos.video",
            ),
        ),
        migrations.AddField(
            model_name="taskevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="taskevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="videos.task",
            ),
        ),
        migrations.AddField(
            model_name="taskevent",
            name="video",
            field=models.ForeignKey(
                blank=True,
                db_column="video_id",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="videos.video",
            ),
        ),
        migrations.AddField(
            model_name="videoevent",
            name="persona",
            field=models.ForeignKey(
                db_column="persona_id",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="personas.persona",
            ),
        ),
        migrations.AddField(
            model_name="videoevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="videoevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="videos.video",
            ),
        ),
    ]
