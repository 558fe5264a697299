"""`manage.py migrate` adopts a database built from spec/schema.sql that already
holds the pipeline's rows: nothing is lost, and the admin lists and edits them.

migrate and the admin run in subprocesses pointed at the seed-built database,
exactly as a deployment would run them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PERSONA = "11111111-1111-1111-1111-111111111111"
VIDEO_NULL_VERSION = "22222222-2222-2222-2222-222222222222"
VIDEO_READY = "33333333-3333-3333-3333-333333333333"
TASK = "44444444-4444-4444-4444-444444444444"

PIPELINE_ROWS = f"""
INSERT INTO personas (persona_id, name, tone_profile)
    VALUES ('{PERSONA}', 'Legacy persona', '{{"voice": "calm", "x-legacy": true}}');
INSERT INTO videos (video_id, persona_id, title, state_version, status)
    VALUES ('{VIDEO_NULL_VERSION}', '{PERSONA}', 'Made before Django', NULL, 'producing'),
           ('{VIDEO_READY}', '{PERSONA}', 'Ready legacy video', 3, 'ready');
INSERT INTO videos (title) VALUES ('No status yet');
INSERT INTO tasks (task_id, video_id, type, payload, status)
    VALUES ('{TASK}', '{VIDEO_READY}', 'safety_check', '{{"model": "v1"}}', 'succeeded');
INSERT INTO artifacts (video_id, s3_path, kind)
    VALUES ('{VIDEO_READY}', 's3://legacy/render.mp4', 'render');
INSERT INTO safety_reports (task_id, score, issues, requires_human_review)
    VALUES ('{TASK}', 0.35, '[{{"category": "language", "severity": "low", "lang": "de"}}]', true);
INSERT INTO publish_receipts (video_id, channel, status, remote_id)
    VALUES ('{VIDEO_READY}', 'youtube', 'published', 'yt-123');
"""

SNAPSHOT_SQL = {
    "personas": "SELECT persona_id, name, tone_profile, created_at FROM personas",
    "videos": "SELECT video_id, persona_id, title, status, published_at, created_at FROM videos",
    "tasks": "SELECT task_id, video_id, type, payload, status, created_at FROM tasks",
    "artifacts": "SELECT artifact_id, video_id, s3_path, kind, created_at FROM artifacts",
    "safety_reports": "SELECT report_id, task_id, score, issues, requires_human_review, "
    "created_at FROM safety_reports",
    "publish_receipts": "SELECT publish_id, video_id, channel, status, remote_id, timestamp "
    "FROM publish_receipts",
}

ADMIN_SCRIPT = f"""
import json
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from django.contrib.auth import get_user_model
from videos.models import Video

user = get_user_model().objects.create_superuser("adopter", "a@example.com", "pw-adopter-1")
client = Client()
client.force_login(user)
listing = client.get("/admin/videos/video/")
video = Video.objects.get(pk="{VIDEO_READY}")
change = client.post(
    f"/admin/videos/video/{{video.pk}}/change/",
    {{
        "title": "Edited in the admin",
        "persona": str(video.persona_id),
        "status": video.status,
        "published_at_0": "",
        "published_at_1": "",
        "loaded_version": str(video.state_version),
    }},
)
video.refresh_from_db()
history = client.get(f"/admin/videos/video/{{video.pk}}/history/")
print(json.dumps({{
    "list_status": listing.status_code,
    "listed": "Made before Django" in listing.content.decode(),
    "change_status": change.status_code,
    "title": video.title,
    "version": video.state_version,
    "history_names_user": "adopter" in history.content.decode(),
}}))
"""


def run_django(database_url, *args, script=None):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "contentops.settings",
        "DEBUG": "1",  # static files from source, no collectstatic needed
    }
    command = [sys.executable, "-c", script] if script else [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def snapshot(raw):
    return {
        table: sorted(map(repr, raw.execute(sql).fetchall())) for table, sql in SNAPSHOT_SQL.items()
    }


def test_migrate_adopts_seed_database_without_losing_rows(seed_database, connect_to):
    name, url = seed_database
    raw = connect_to(name)
    raw.execute(PIPELINE_ROWS)
    before = snapshot(raw)

    migrated = run_django(url, "migrate", "--noinput")

    assert migrated.returncode == 0, migrated.stderr
    assert snapshot(raw) == before
    versions = dict(raw.execute("SELECT video_id::text, state_version FROM videos").fetchall())
    assert versions[VIDEO_NULL_VERSION] == 0, "a NULL version is adopted as 0"
    assert versions[VIDEO_READY] == 3


def test_adopted_rows_are_listed_and_editable_in_the_admin(seed_database, connect_to):
    name, url = seed_database
    raw = connect_to(name)
    raw.execute(PIPELINE_ROWS)
    assert run_django(url, "migrate", "--noinput").returncode == 0

    admin = run_django(url, script=ADMIN_SCRIPT)

    assert admin.returncode == 0, admin.stderr
    outcome = json.loads(admin.stdout.strip().splitlines()[-1])
    assert outcome == {
        "list_status": 200,
        "listed": True,
        "change_status": 302,
        "title": "Edited in the admin",
        "version": 4,
        "history_names_user": True,
    }


def test_migrate_stops_with_a_clear_message_on_rows_outside_the_vocabulary(
    seed_database, connect_to
):
    name, url = seed_database
    raw = connect_to(name)
    raw.execute(PIPELINE_ROWS)
    raw.execute("INSERT INTO videos (title, status) VALUES ('odd', 'uploading')")

    refused = run_django(url, "migrate", "--noinput")

    assert refused.returncode != 0
    assert "Cannot adopt videos: status must be one of draft" in refused.stderr
    assert "'uploading' (1 rows)" in refused.stderr
    assert raw.execute("SELECT count(*) FROM videos").fetchone()[0] == 4

    raw.execute("UPDATE videos SET status = 'draft' WHERE status = 'uploading'")
    assert run_django(url, "migrate", "--noinput").returncode == 0


@pytest.mark.parametrize("score", [1.5, -0.25])
def test_migrate_refuses_out_of_range_scores_by_name(seed_database, connect_to, score):
    name, url = seed_database
    connect_to(name).execute(f"INSERT INTO safety_reports (score) VALUES ({score})")

    refused = run_django(url, "migrate", "--noinput")

    assert refused.returncode != 0
    assert "Cannot adopt safety_reports: score must be between 0 and 1" in refused.stderr
