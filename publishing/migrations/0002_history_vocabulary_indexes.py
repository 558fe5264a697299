import core.db
import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
import uuid
import core.migration_checks
import publishing.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("publishing", "0001_initial"),
        ("videos", "0001_initial"),
    ]

    operations = [
        core.migration_checks.require_vocabulary(
            "publish_receipts", "status", publishing.models.PublishStatus
        ),
        migrations.CreateModel(
            name="PublishReceiptEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                (
                    "id",
                    models.UUIDField(
                        db_column="publish_id",
                        db_default=core.db.SeedUUID(),
                        default=uuid.uuid4,
                        serialize=False,
                    ),
                ),
                ("channel", models.TextField(null=True)),
                (
                    "status",
                    models.TextField(
                        choices=[
                            ("pending", "Pending"),
                            ("published", "Published"),
                            ("failed", "Failed"),
                            ("retracted", "Retracted"),
                        ],
                        default="pending",
                        null=True,
                    ),
                ),
                ("remote_id", models.TextField(blank=True, null=True)),
                (
                    "timestamp",
                    models.DateTimeField(
                        db_default=core.db.SeedNow(),
                        default=django.utils.timezone.now,
                        null=True,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.AlterModelOptions(
            name="publishreceipt",
            options={"ordering": ["-timestamp"]},
        ),
        migrations.AlterField(
            model_name="publishreceipt",
            name="remote_id",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="publishreceipt",
            name="status",
            field=models.TextField(
                choices=[
                    ("pending", "Pending"),
                    ("published", "Published"),
                    ("failed", "Failed"),
                    ("retracted", "Retracted"),
                ],
                default="pending",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="publishreceipt",
            index=models.Index(fields=["video"], name="publish_receipts_video_id_idx"),
        ),
        migrations.AddIndex(
            model_name="publishreceipt",
            index=models.Index(fields=["-timestamp"], name="publish_receipts_ts_idx"),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="publishreceipt",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "publishing_publishreceiptevent" ("channel", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "publish_id", "remote_id", "status", "timestamp", "video_id") VALUES (NEW."channel", _pgh_attach_context(), NOW(), \'insert\', NEW."publish_id", NEW."publish_id", NEW."remote_id", NEW."status", NEW."timestamp", NEW."video_id"); RETURN NULL;',
                    hash="8e4cc0f214a6d796c165478ca7bba88219a3a2c3",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_58fa1",
                    table="publish_receipts",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="publishreceipt",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "publishing_publishreceiptevent" ("channel", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "publish_id", "remote_id", "status", "timestamp", "video_id") VALUES (NEW."channel", _pgh_attach_context(), NOW(), \'update\', NEW."publish_id", NEW."publish_id", NEW."remote_id", NEW."status", NEW."timestamp", NEW."video_id"); RETURN NULL;',
                    hash="fa3056bd0dc1fc56c21a3bdd6a4313f9c8451c75",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_84778",
                    table="publish_receipts",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="publishreceipt",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "publishing_publishreceiptevent" ("channel", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "publish_id", "remote_id", "status", "timestamp", "video_id") VALUES (OLD."channel", _pgh_attach_context(), NOW(), \'delete\', OLD."publish_id", OLD."publish_id", OLD."remote_id", OLD."status", OLD."timestamp", OLD."video_id"); RETURN NULL;',
                    hash="07511621d33d3045cd9d5201b087cb6a61adcbf6",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_45bfa",
                    table="publish_receipts",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="publishreceipt",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "published", "failed", "retracted"]),
                    ("status__isnull", True),
                    _connector="OR",
                ),
                name="publish_receipts_status_valid",
                violation_error_message="%(name)s: status must be one of pending, published, failed, retracted.",
            ),
        ),
        migrations.AddField(
            model_name="publishreceiptevent",
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
            model_name="publishreceiptevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="publishing.publishreceipt",
            ),
        ),
        migrations.AddField(
            model_name="publishreceiptevent",
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
    ]
