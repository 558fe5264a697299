"""The migrated schema against the seed's: the contract with other programs.

A database built from spec/schema.sql is compared with the test database,
which pytest-django built by running our migrations.
"""

import pytest
from django.db import connection

SEED_TABLES = ("personas", "videos", "tasks", "artifacts", "safety_reports", "publish_receipts")
SEED_INDEXES = (
    "idx_tasks_state_version",
    "idx_videos_state_version",
    "idx_tasks_status",
    "idx_publish_channel",
)
# Deliberate tightening, documented in the README: the guarded UPDATE cannot
# match a NULL version, so migrate backfills 0 and forbids NULL.
NOT_NULL_ON_PURPOSE = {("videos", "state_version"), ("tasks", "state_version")}

COLUMNS_SQL = """
    SELECT table_name, column_name, data_type, column_default, is_nullable
    FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = ANY(%s)
"""
FOREIGN_KEYS_SQL = """
    SELECT src.relname, a.attname, dst.relname, b.attname
    FROM pg_constraint c
    JOIN pg_class src ON src.oid = c.conrelid
    JOIN pg_class dst ON dst.oid = c.confrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND src.relname = ANY(%s)
"""
INDEXES_SQL = """
    SELECT indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename = ANY(%s)
"""
PRIMARY_KEYS_SQL = """
    SELECT src.relname, a.attname
    FROM pg_constraint c
    JOIN pg_class src ON src.oid = c.conrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
    WHERE c.contype = 'p' AND src.relname = ANY(%s)
"""


def catalog(cursor):
    tables = list(SEED_TABLES)

    def rows(sql):
        cursor.execute(sql, [tables])
        return cursor.fetchall()

    return {
        "columns": {(t, c): (dt, default, null) for t, c, dt, default, null in rows(COLUMNS_SQL)},
        "foreign_keys": set(rows(FOREIGN_KEYS_SQL)),
        "indexes": dict(rows(INDEXES_SQL)),
        "primary_keys": set(rows(PRIMARY_KEYS_SQL)),
    }


@pytest.fixture
def seed_catalog(seed_database, connect_to):
    name, _ = seed_database
    with connect_to(name).cursor() as cursor:
        return catalog(cursor)


@pytest.fixture
def migrated_catalog(db):
    with connection.cursor() as cursor:
        return catalog(cursor)


def test_every_seed_column_has_the_seeds_type_default_and_nullability(
    seed_catalog, migrated_catalog
):
    assert len(seed_catalog["columns"]) == 35
    for key, (data_type, default, nullable) in seed_catalog["columns"].items():
        assert key in migrated_catalog["columns"], f"column {key} is missing"
        ours = migrated_catalog["columns"][key]
        assert ours[0] == data_type, f"{key}: type {ours[0]} instead of {data_type}"
        assert ours[1] == default, f"{key}: default {ours[1]} instead of {default}"
        if key in NOT_NULL_ON_PURPOSE:
            assert ours[2] == "NO"
        else:
            assert ours[2] == nullable, f"{key}: nullable {ours[2]} instead of {nullable}"


def test_columns_we_add_are_nullable_or_defaulted(seed_catalog, migrated_catalog):
    added = set(migrated_catalog["columns"]) - set(seed_catalog["columns"])
    for key in added:
        _, default, nullable = migrated_catalog["columns"][key]
        assert nullable == "YES" or default is not None, f"{key} would break seed inserts"


def test_every_seed_foreign_key_and_primary_key_exists(seed_catalog, migrated_catalog):
    assert len(seed_catalog["foreign_keys"]) == 5
    assert seed_catalog["foreign_keys"] <= migrated_catalog["foreign_keys"]
    assert seed_catalog["primary_keys"] == migrated_catalog["primary_keys"]


def test_seed_indexes_exist_under_the_seeds_names(seed_catalog, migrated_catalog):
    for name in SEED_INDEXES:
        assert migrated_catalog["indexes"].get(name) == seed_catalog["indexes"][name]


def test_insert_naming_only_seed_columns_gets_database_defaults(pipeline_db):
    raw = pipeline_db()
    persona_id = raw.execute(
        "INSERT INTO personas (name) VALUES ('Pipeline persona') RETURNING persona_id"
    ).fetchone()[0]
    video = raw.execute(
        "INSERT INTO videos (persona_id, title, status) VALUES (%s, 'From the pipeline', 'draft') "
        "RETURNING video_id, state_version, created_at",
        [persona_id],
    ).fetchone()
    assert video[0] is not None and video[1] == 0 and video[2] is not None
    task = raw.execute(
        "INSERT INTO tasks (video_id, type, payload, status) "
        "VALUES (%s, 'render', '{}', 'queued') RETURNING task_id",
        [video[0]],
    ).fetchone()
    raw.execute(
        "INSERT INTO artifacts (video_id, s3_path, kind) VALUES (%s, 's3://b/k.png', 'thumbnail')",
        [video[0]],
    )
    raw.execute(
        "INSERT INTO safety_reports (task_id, score, issues) VALUES (%s, 0.4, '[]')", [task[0]]
    )
    raw.execute(
        "INSERT INTO publish_receipts (video_id, channel, status) "
        "VALUES (%s, 'youtube', 'pending')",
        [video[0]],
    )
    assert raw.execute("SELECT requires_human_review FROM safety_reports").fetchone()[0] is False


@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        ("INSERT INTO videos (title, status) VALUES ('x', 'bogus')", "videos_status_valid"),
        ("INSERT INTO tasks (type, status) VALUES ('dance', 'queued')", "tasks_type_valid"),
        ("INSERT INTO tasks (type, status) VALUES ('render', 'paused')", "tasks_status_valid"),
        ("INSERT INTO artifacts (kind) VALUES ('gif')", "artifacts_kind_valid"),
        ("INSERT INTO safety_reports (score) VALUES (1.5)", "safety_reports_score_range"),
        ("INSERT INTO safety_reports (score) VALUES (-0.1)", "safety_reports_score_range"),
        (
            "INSERT INTO publish_receipts (channel, status) VALUES ('youtube', 'sent')",
            "publish_receipts_status_valid",
        ),
    ],
)
def test_database_refuses_values_outside_the_vocabularies(pipeline_db, sql, constraint):
    import psycopg

    with pytest.raises(psycopg.errors.CheckViolation) as raised:
        pipeline_db().execute(sql)
    assert constraint in str(raised.value)
