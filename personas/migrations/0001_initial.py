"""The seed schema (spec/schema.sql) for this app's tables, as it was handed to us.

The database side runs the seed's own DDL with IF NOT EXISTS, so `migrate` adopts a
database that was built from spec/schema.sql (and keeps its rows) and builds the
same tables on an empty one. Django's model state is declared beside it.
"""

import core.db
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    """
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    """
CREATE TABLE IF NOT EXISTS personas (
	persona_id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
	name TEXT NOT NULL,
	tone_profile JSONB,
	created_at TIMESTAMPTZ DEFAULT now()
);
""",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Persona",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="persona_id",
                                db_default=core.db.SeedUUID(),
                                default=uuid.uuid4,
                                primary_key=True,
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
                                null=True,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "personas",
                    },
                ),
            ],
        ),
    ]
