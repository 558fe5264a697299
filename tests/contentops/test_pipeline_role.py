"""A pipeline service writing as a database role of its own, with grants on
the pipeline's six tables and nothing else, is asked for nothing more by our
triggers: its writes succeed, and what the triggers keep beside them (history,
the outboxes, the rollups) is kept."""

import uuid
from contextlib import contextmanager

import pytest
from django.db import ProgrammingError, connection, transaction

from contentops import trigger_owner
from contentops.pipeline import pipeline_tables
from insights import rollups
from personas.models import Persona
from publishing.models import PublishReceipt
from safety.models import ArtifactChange, QAClearedReport, SafetyReport
from videos.models import Artifact, Task, Video


@pytest.fixture
def pipeline_role(db):
    """A role holding only what a pipeline service is given: its tables.
    Made inside the test's transaction, so it is gone afterwards."""
    name = f"pipeline_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" NOLOGIN')
        cursor.execute(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(pipeline_tables())} TO "{name}"'
        )
    return name


@contextmanager
def as_role(name):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{name}"')
        try:
            yield cursor
        finally:
            cursor.execute("RESET ROLE")


def one(cursor, statement, params=()):
    cursor.execute(statement, params)
    return cursor.fetchone()[0]


def pipeline_writes(cursor) -> dict:
    """What the pipeline's services do to their tables, in plain SQL."""
    persona = one(cursor, "INSERT INTO personas (name) VALUES ('Ada') RETURNING persona_id")
    video = one(
        cursor,
        "INSERT INTO videos (persona_id, title, status) VALUES (%s, 'Tides', 'draft') "
        "RETURNING video_id",
        [persona],
    )
    cursor.execute(
        "UPDATE videos SET status = 'producing', state_version = state_version + 1 "
        "WHERE video_id = %s AND state_version = 0",
        [video],
    )
    assert cursor.rowcount == 1
    render = one(
        cursor,
        "INSERT INTO tasks (video_id, type, status) VALUES (%s, 'render', 'running') "
        "RETURNING task_id",
        [video],
    )
    cursor.execute(
        "UPDATE tasks SET status = 'succeeded', state_version = state_version + 1 "
        "WHERE task_id = %s AND state_version = 0",
        [render],
    )
    assert cursor.rowcount == 1
    cursor.execute(
        "INSERT INTO tasks (video_id, type, status) VALUES (%s, 'publish', 'queued')", [video]
    )
    artifact = one(
        cursor,
        "INSERT INTO artifacts (video_id, s3_path, kind) "
        "VALUES (%s, 'renders/tides.mp4', 'render') RETURNING artifact_id",
        [video],
    )
    cursor.execute(
        "UPDATE artifacts SET s3_path = 'renders/tides-2.mp4' WHERE artifact_id = %s", [artifact]
    )
    cursor.execute(
        "INSERT INTO artifacts (video_id, s3_path, kind) VALUES (%s, 'audio/tides.mp3', 'audio')",
        [video],
    )
    cursor.execute("DELETE FROM artifacts WHERE s3_path = 'audio/tides.mp3'")
    cleared = one(
        cursor,
        "INSERT INTO safety_reports (task_id, score, issues, requires_human_review) "
        "VALUES (%s, 0.05, '[]', false) RETURNING report_id",
        [render],
    )
    flagged = one(
        cursor,
        "INSERT INTO safety_reports (task_id, score, issues, requires_human_review) "
        """VALUES (%s, 0.8, '[{"category": "violence", "severity": "high"}]', true) """
        "RETURNING report_id",
        [render],
    )
    receipt = one(
        cursor,
        "INSERT INTO publish_receipts (video_id, channel, status, remote_id) "
        "VALUES (%s, 'youtube', 'published', 'yt-1') RETURNING publish_id",
        [video],
    )
    return dict(
        persona=persona,
        video=video,
        task=render,
        artifact=artifact,
        cleared=cleared,
        flagged=flagged,
        receipt=receipt,
    )


def test_the_role_holds_no_grant_on_our_tables(pipeline_role):
    """So the test below proves something: the role itself cannot touch them."""
    with as_role(pipeline_role) as cursor:
        for table in (Video.pgh_event_model._meta.db_table, ArtifactChange._meta.db_table):
            with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                cursor.execute(f"SELECT 1 FROM {table}")


def test_a_pipeline_role_writes_its_tables_and_our_triggers_keep_their_records(pipeline_role):
    with as_role(pipeline_role) as cursor:
        rows = pipeline_writes(cursor)

    def events(model, pk):
        return list(
            model.pgh_event_model.objects.filter(pgh_obj_id=pk)
            .order_by("pgh_id")
            .values_list("pgh_label", flat=True)
        )

    assert events(Persona, rows["persona"]) == ["insert"]
    assert events(Video, rows["video"]) == ["insert", "update"]
    assert events(Task, rows["task"]) == ["insert", "update"]
    assert events(Artifact, rows["artifact"]) == ["insert", "update"]
    assert events(SafetyReport, rows["cleared"]) == ["insert"]
    assert events(PublishReceipt, rows["receipt"]) == ["insert"]
    # The clearance outbox saw each artifact write; QA's saw the cleared report.
    assert list(
        ArtifactChange.objects.filter(video_id=rows["video"])
        .order_by("pk")
        .values_list("operation", flat=True)
    ) == ["INSERT", "UPDATE", "INSERT", "DELETE"]
    assert list(QAClearedReport.objects.values_list("report_id", flat=True)) == [rows["cleared"]]
    # The rollups counted the writes: as a recount from the tables finds them.
    incremental = {rollup.table: rollups.totals(rollup) for rollup in rollups.ROLLUPS}
    rollups.rebuild()
    assert incremental == {rollup.table: rollups.totals(rollup) for rollup in rollups.ROLLUPS}
    assert any(incremental.values())


def test_a_temporary_table_of_the_writer_cannot_stand_in_for_ours(pipeline_role):
    """The trigger functions run as their owner: a caller's temporary table of
    the same name, first on its search path, must not receive their writes."""
    with connection.cursor() as cursor:
        database = connection.settings_dict["NAME"]
        cursor.execute(f'GRANT TEMPORARY ON DATABASE "{database}" TO "{pipeline_role}"')
    with as_role(pipeline_role) as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE safety_qa_cleared_reports (id serial, report_id uuid)"
        )
        rows = pipeline_writes(cursor)
        cursor.execute("SELECT count(*) FROM pg_temp.safety_qa_cleared_reports")
        assert cursor.fetchone()[0] == 0
        cursor.execute("DROP TABLE pg_temp.safety_qa_cleared_reports")
    assert QAClearedReport.objects.filter(report_id=rows["cleared"]).exists()


def test_after_migrate_every_trigger_function_on_the_pipeline_tables_runs_as_its_owner(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT p.proname, p.prosecdef, p.proconfig
            FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND t.tgrelid = ANY (%s::regclass[])
            """,
            [pipeline_tables()],
        )
        functions = cursor.fetchall()
    assert len(functions) > 20  # history, outboxes, rollups, the wake-up, versions
    pinned = trigger_owner.search_path_setting("public")
    assert [name for name, definer, config in functions if not (definer and pinned in config)] == []


def test_run_as_owner_sets_a_function_pgtrigger_has_just_replaced(db):
    """A migration that changes a trigger re-creates its function as the
    invoker's: the step after migrate makes it the owner's again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = 'videos'::regclass AND p.proname LIKE 'pgtrigger_insert%%'"
        )
        (signature,) = cursor.fetchone()
        cursor.execute(f"ALTER FUNCTION {signature} SECURITY INVOKER RESET search_path")
    assert trigger_owner.run_as_owner() == [signature]
    assert trigger_owner.run_as_owner() == []
