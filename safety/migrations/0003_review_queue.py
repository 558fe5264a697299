import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0002_history_score_range_indexes"),
        ("videos", "0002_history_vocabulary_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewAction",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.TextField(
                        choices=[
                            ("claim", "Claim"),
                            ("release", "Release"),
                            ("takeover", "Take over"),
                            ("approve", "Approve"),
                            ("reject", "Reject"),
                            ("escalate", "Escalate"),
                        ]
                    ),
                ),
                ("reason_code", models.TextField(blank=True, default="")),
                ("note", models.TextField(blank=True, default="")),
                ("score_seen", models.FloatField(blank=True, null=True)),
                ("video_version_seen", models.IntegerField(blank=True, null=True)),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        default=django.utils.timezone.now,
                    ),
                ),
            ],
            options={
                "db_table": "safety_review_actions",
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.AlterModelOptions(
            name="safetyreport",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("review_safetyreport", "Can work the review queue and decide reports"),
                    ("takeover_safetyreport", "Can take over a report another moderator holds"),
                ],
            },
        ),
        migrations.RunSQL(
            """
            CREATE OR REPLACE FUNCTION safety_max_severity(issues jsonb) RETURNS integer
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT COALESCE(max(CASE lower(issue->>'severity')
                    WHEN 'critical' THEN 4 WHEN 'high' THEN 3
                    WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END), 0)
                FROM jsonb_array_elements(
                    CASE WHEN jsonb_typeof(issues) = 'array' THEN issues ELSE '[]'::jsonb END
                ) AS issue
                WHERE jsonb_typeof(issue) = 'object'
            $$;
            """,
            reverse_sql="DROP FUNCTION IF EXISTS safety_max_severity(jsonb);",
        ),
        migrations.AddField(
            model_name="safetyreport",
            name="severity_rank",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("issues"),
                    function="safety_max_severity",
                    output_field=models.IntegerField(),
                ),
                output_field=models.IntegerField(),
            ),
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="safetyreport",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="safetyreport",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="safetyreport",
            name="delete_delete",
        ),
        migrations.AddField(
            model_name="safetyreport",
            name="claim_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="safetyreport",
            name="claimed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="safetyreport",
            name="review_status",
            field=models.TextField(
                blank=True,
                choices=[
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("escalated", "Escalated"),
                ],
                editable=False,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="safetyreportevent",
            name="claimed_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="safetyreportevent",
            name="review_status",
            field=models.TextField(
                blank=True,
                choices=[
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("escalated", "Escalated"),
                ],
                editable=False,
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="safetyreport",
            index=models.Index(
                models.OrderBy(models.F("severity_rank"), descending=True),
                models.OrderBy(models.F("score"), descending=True, nulls_last=True),
                models.OrderBy(models.F("created_at")),
                condition=models.Q(
                    ("requires_human_review", True), ("review_status__isnull", True)
                ),
                name="safety_reports_queue_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="safetyreport",
            index=models.Index(
                condition=models.Q(("review_status", "escalated")),
                fields=["created_at"],
                name="safety_reports_escalated_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="safetyreport",
            index=models.Index(
                condition=models.Q(("claimed_by__isnull", False)),
                fields=["claimed_by"],
                name="safety_reports_claimed_by_idx",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="safetyreport",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "safety_safetyreportevent" ("claimed_by_id", "created_at", "issues", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_id", "requires_human_review", "review_status", "score", "task_id") VALUES (NEW."claimed_by_id", NEW."created_at", NEW."issues", _pgh_attach_context(), NOW(), \'insert\', NEW."report_id", NEW."report_id", NEW."requires_human_review", NEW."review_status", NEW."score", NEW."task_id"); RETURN NULL;',
                    hash="6fd4c63267cfd2f6955d7823372430488f3b3372",
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
                    condition='WHEN (OLD."claimed_by_id" IS DISTINCT FROM (NEW."claimed_by_id") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."report_id" IS DISTINCT FROM (NEW."report_id") OR OLD."issues" IS DISTINCT FROM (NEW."issues") OR OLD."requires_human_review" IS DISTINCT FROM (NEW."requires_human_review") OR OLD."review_status" IS DISTINCT FROM (NEW."review_status") OR OLD."score" IS DISTINCT FROM (NEW."score") OR OLD."task_id" IS DISTINCT FROM (NEW."task_id"))',
                    func='INSERT INTO "safety_safetyreportevent" ("claimed_by_id", "created_at", "issues", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_id", "requires_human_review", "review_status", "score", "task_id") VALUES (NEW."claimed_by_id", NEW."created_at", NEW."issues", _pgh_attach_context(), NOW(), \'update\', NEW."report_id", NEW."report_id", NEW."requires_human_review", NEW."review_status", NEW."score", NEW."task_id"); RETURN NULL;',
                    hash="910b5ee630d8fd8e3abb74a545a603548948a4a7",
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
                    func='INSERT INTO "safety_safetyreportevent" ("claimed_by_id", "created_at", "issues", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_id", "requires_human_review", "review_status", "score", "task_id") VALUES (OLD."claimed_by_id", OLD."created_at", OLD."issues", _pgh_attach_context(), NOW(), \'delete\', OLD."report_id", OLD."report_id", OLD."requires_human_review", OLD."review_status", OLD."score", OLD."task_id"); RETURN NULL;',
                    hash="532b8def374d42d74e654048af76fffd77ed691c",
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
                    ("review_status__in", ["approved", "rejected", "escalated"]),
                    ("review_status__isnull", True),
                    _connector="OR",
                ),
                name="safety_reports_review_status_valid",
                violation_error_message="%(name)s: review_status must be one of approved, rejected, escalated.",
            ),
        ),
        migrations.AddField(
            model_name="reviewaction",
            name="actor",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="reviewaction",
            name="previous_holder",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="reviewaction",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="review_actions",
                to="safety.safetyreport",
            ),
        ),
        migrations.AddIndex(
            model_name="reviewaction",
            index=models.Index(fields=["report", "created_at"], name="review_actions_report_idx"),
        ),
        migrations.AddConstraint(
            model_name="reviewaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind__in", ["claim", "release", "takeover", "approve", "reject", "escalate"]),
                    ("kind__isnull", True),
                    _connector="OR",
                ),
                name="review_actions_kind_valid",
                violation_error_message="%(name)s: kind must be one of claim, release, takeover, approve, reject, escalate.",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["approve", "reject"])),
                fields=("report",),
                name="review_actions_one_final_decision",
                violation_error_message="This report already has a final decision.",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="reviewaction",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="a7e45eeb8cb14f1d7b69dbfdc67e95e855b1f794",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_55a96",
                    table="safety_review_actions",
                    when="BEFORE",
                ),
            ),
        ),
    ]
