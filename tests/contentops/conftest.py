import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

SPEC_SQL = Path(__file__).resolve().parents[2] / "spec" / "schema.sql"


def _server_kwargs():
    settings = connection.settings_dict
    return {
        "host": settings["HOST"],
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }


@pytest.fixture
def scratch_database(db):
    """Make empty databases on the test server; each is dropped afterwards.

    Returns a function that creates one and gives (dbname, database_url).
    """
    made = []
    server = _server_kwargs()

    def create():
        name = f"scratch_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        url = (
            f"postgres://{server['user']}:{server['password']}@{server['host']}:"
            f"{server['port']}/{name}"
        )
        return name, url

    yield create
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def connect_to():
    """psycopg connections (autocommit) to a named database on the test server."""
    opened = []

    def connect(name):
        raw = psycopg.connect(dbname=name, autocommit=True, **_server_kwargs())
        opened.append(raw)
        return raw

    yield connect
    for raw in opened:
        raw.close()


@pytest.fixture
def seed_database(scratch_database, connect_to):
    """A database built by running spec/schema.sql, as the pipeline's was."""
    name, url = scratch_database()
    connect_to(name).execute(SPEC_SQL.read_text())
    return name, url
