import core.db
import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("personas", "0001_initial"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonaEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                (
                    "id",
                    models.UUIDField(
                        db_column="persona_id",
                        db_default=core.db.SeedUUID(),
                        default=uuid.uuid4,
                        serialize=False,
                    ),
                ),
                ("name", models.TextField()),
                ("tone_profile", models.JSONField(blank=True, null=True)),
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
            name="persona",
            options={"ordering": ["name"]},
        ),
        migrations.AlterField(
            model_name="persona",
            name="created_at",
            field=models.DateTimeField(
                db_default=core.db.SeedNow(),
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="persona",
            index=models.Index(fields=["name"], name="personas_name_idx"),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="persona",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "personas_personaevent" ("created_at", "name", "persona_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tone_profile") VALUES (NEW."created_at", NEW."name", NEW."persona_id", _pgh_attach_context(), NOW(), \'insert\', NEW."persona_id", NEW."tone_profile"); RETURN NULL;',
                    hash="cc5969fb3cb16df14a7ac78d632c3fee925bf352",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_d7a0f",
                    table="personas",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="persona",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "personas_personaevent" ("created_at", "name", "persona_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tone_profile") VALUES (NEW."created_at", NEW."name", NEW."persona_id", _pgh_attach_context(), NOW(), \'update\', NEW."persona_id", NEW."tone_profile"); RETURN NULL;',
                    hash="da31598fde8d44108cca48a3d59421eda9d0c14f",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_c8c6d",
                    table="personas",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="persona",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "personas_personaevent" ("created_at", "name", "persona_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tone_profile") VALUES (OLD."created_at", OLD."name", OLD."persona_id", _pgh_attach_context(), NOW(), \'delete\', OLD."persona_id", OLD."tone_profile"); RETURN NULL;',
                    hash="d4628febc52dd274b910dec3c009357319b27d95",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_665fb",
                    table="personas",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddField(
            model_name="personaevent",
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
            model_name="personaevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="personas.persona",
            ),
        ),
    ]
