import core.db
import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
import uuid
import core.migration_checks
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("safety", "0001_initial"),
        ("videos", "0001_initial"),
    ]

    operations = [
        core.migration_checks.require_valid_rows(
            "safety_reports",
            "score",
            "score IS NULL OR score BETWEEN 0 AND 1",
            "must be between 0 and 1",
        ),
        migrations.CreateModel(
            name="SafetyReportEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                (
                    "id",
                    models.UUIDField(
                        db_column="report_id",
                        db_default=core.db.SeedUUID(),
                        default=uuid.uuid4,
                        serialize=False,
                    ),
                ),
                (
                    "score",
                    models.FloatField(help_text="Risk from 0 (safe) to 1 (riskiest).", null=True),
                ),
                ("issues", models.JSONField(blank=True, null=True)),
                (
                    "requires_human_review",
                    models.BooleanField(db_default=False, default=False, null=True),
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
        migrations.AlterModelOptions(
            name="safetyreport",
            options={"ordering": ["-created_at"]},
        ),
        migrations.AlterField(
            model_name="safetyreport",
            name="created_at",
            field=models.DateTimeField(
                db_default=core.db.SeedNow(),
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="safetyreport",
            name="issues",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="safetyreport",
            name="score",
            field=models.FloatField(help_text="Risk from 0 (safe) to 1 (riskiest).", null=True),
        ),
        migrations.AddIndex(
            model_name="safetyreport",
            index=models.Index(fields=["task"], name="safety_reports_task_id_idx"),
        ),
        migrations.AddIndex(
            model_name="safetyreport",
            index=models.Index(fields=["-created_at"], name="safety_reports_created_idx"),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="safetyreport",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "safety_safetyreportevent" ("created_at", "issues", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_id", "requires_human_review", "score", "task_id") VALUES (NEW."created_at", NEW."issues", _pgh_attach_context(), NOW(), \'insert\', NEW."report_id", NEW."report_id", NEW."requires_human_review", NEW."score", NEW."task_id"); RETURN NULL;',
                    hash="0c3fdcf7a07ef19ba68a61c02c6022bb2ecefefc",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_8f90b",
                    table="safety_reports",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="safetyreport",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "safety_safetyreportevent" ("created_at", "issues", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_id", "requires_human_review", "score", "task_id") VALUES (NEW."created_at", NEW."issues", _pgh_attach_context(), NOW(), \'update\', NEW."report_id", NEW."report_id", NEW."requires_human_review", NEW."score", NEW."task_id"); RETURN NULL;',
                    hash="d06487c68139f0459dbb710b3d17c8a3667bf0ce",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_33076",
                    table="safety_reports",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="safetyreport",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "safety_safetyreportevent" ("created_at", "issues", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_id", "requires_human_review", "score", "task_id") VALUES (OLD."created_at", OLD."issues", _pgh_attach_context(), NOW(), \'delete\', OLD."report_id", OLD."report_id", OLD."requires_human_review", OLD."score", OLD."task_id"); RETURN NULL;',
                    hash="7579e7b2e4dde2f277a02ba50dd1a2c0daeefada",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_98a4f",
                    table="safety_reports",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="safetyreport",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("score__gte", 0), ("score__lte", 1)),
                    ("score__isnull", True),
                    _connector="OR",
                ),
                name="safety_reports_score_range",
                violation_error_message="The score must be between 0 and 1.",
            ),
        ),
        migrations.AddField(
            model_name="safetyreportevent",
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
            model_name="safetyreportevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="safety.safetyreport",
            ),
        ),
        migrations.AddField(
            model_name="safetyreportevent",
            name="task",
            field=models.ForeignKey(
                db_column="task_id",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="videos.task",
            ),
        ),
    ]
