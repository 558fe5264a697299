"""DATABASE_REPLICA_URL and its timing settings are checked before anything connects."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPLICA = "postgres://reader:secret@replica.internal:6543/contentops"


def settings_of(**env: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process, printing the replica's database."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; from django.conf import settings; django.setup();"
            "print(json.dumps([settings.DATABASES.get('replica'),"
            " getattr(settings, 'DATABASE_ROUTERS', []), settings.DATABASES['default']]))",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "contentops.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_replica_url_there_is_one_database_and_no_router():
    result = settings_of(DATABASE_REPLICA_URL="")
    replica, routers, _ = json.loads(result.stdout.splitlines()[-1])
    assert (replica, routers) == (None, [])


def test_a_replica_url_adds_the_replica_with_the_primarys_connection_options():
    result = settings_of(DATABASE_REPLICA_URL=REPLICA, DATABASE_CONN_MAX_AGE="17")
    replica, routers, default = json.loads(result.stdout.splitlines()[-1])
    assert routers == ["core.replicas.ReplicaRouter"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == (
        "replica.internal",
        6543,
        "contentops",
    )
    assert replica["CONN_MAX_AGE"] == default["CONN_MAX_AGE"] == 17
    assert replica["CONN_HEALTH_CHECKS"] is True
    # Short, so a replica that is away costs a page seconds; Django's test
    # databases never go there.
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["TEST"]["MIRROR"] == "default"


def test_a_replica_url_that_is_not_postgres_is_a_clear_error():
    result = settings_of(DATABASE_REPLICA_URL="mysql://u:p@host/contentops")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must name a PostgreSQL server" in result.stderr


def test_a_replica_url_that_is_not_a_url_is_a_clear_error():
    result = settings_of(DATABASE_REPLICA_URL="replica.internal")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL is not a database URL" in result.stderr


def test_a_replica_url_without_a_database_is_a_clear_error():
    result = settings_of(DATABASE_REPLICA_URL="postgres://u:p@replica.internal:5432/")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must name the database" in result.stderr


def test_sticky_seconds_must_outlast_the_tolerated_lag():
    result = settings_of(
        DATABASE_REPLICA_URL=REPLICA,
        DATABASE_REPLICA_STICKY_SECONDS="10",
        DATABASE_REPLICA_MAX_LAG_SECONDS="10",
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_STICKY_SECONDS must be above" in result.stderr


def test_a_tolerated_lag_of_zero_is_a_clear_error():
    result = settings_of(DATABASE_REPLICA_URL=REPLICA, DATABASE_REPLICA_MAX_LAG_SECONDS="0")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_MAX_LAG_SECONDS must be above 0" in result.stderr


def test_a_malformed_lag_names_the_variable():
    result = settings_of(DATABASE_REPLICA_URL=REPLICA, DATABASE_REPLICA_MAX_LAG_SECONDS="soon")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_MAX_LAG_SECONDS='soon' is not a number" in result.stderr
