import uuid
from pathlib import Path

import psycopg
import pytest

from tests.helpers import server_settings

SPEC_SQL = Path(__file__).resolve().parents[2] / "spec" / "schema.sql"


@pytest.fixture
def scratch_database(db):
    """Make empty databases on the test server; each is dropped afterwards.

    Returns a function that creates one and gives (dbname, database_url).
    """
    made = []
    server = server_settings()

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
def seed_database(scratch_database, connect_to):
    """A database built by running spec/schema.sql, as the pipeline's was."""
    name, url = scratch_database()
    connect_to(name).execute(SPEC_SQL.read_text())
    return name, url
