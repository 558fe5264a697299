"""A request whose database is away answers the 503 page, never Django's 500."""

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from core.unavailable import database_unreachable
from tests.helpers import closed_port

PAGES = [
    "/admin/",
    "/admin/videos/video/",
    "/admin/safety/reviewqueueitem/",
    "/admin/videos/artifact/gallery/",
]


@pytest.fixture
def database_away(django_db_blocker):
    """The app's database settings point at a port nobody listens on: every
    query fails to connect, as when Postgres is down."""
    with django_db_blocker.unblock():
        connection.close()
        saved = dict(connection.settings_dict)
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


def signed_in_client() -> Client:
    """A browser with a session cookie, so the request needs the database at once
    (the auth middleware reads the session and the user)."""
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32
    return client


@pytest.mark.parametrize("url", PAGES)
def test_a_page_whose_database_is_away_answers_503_with_retry_after(database_away, url):
    response = signed_in_client().get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "The database is not answering" in page
    assert "Nothing was saved" in page
    assert "sessionid" not in response.cookies


def test_a_post_whose_database_is_away_answers_503(database_away):
    response = signed_in_client().post("/admin/videos/video/", {"action": "archive_selected"})
    assert response.status_code == 503


def test_the_503_replaces_the_debug_page_too(database_away, settings):
    # `make run` runs with DEBUG on, where Django would show its technical 500 page.
    settings.DEBUG = True
    response = signed_in_client().get("/admin/")
    assert response.status_code == 503
    assert "The database is not answering" in response.content.decode()


def test_the_login_page_is_answered_503_as_well(database_away):
    response = signed_in_client().post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 503


def chained(outer: Exception, cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as error:
            raise outer from error
    except Exception as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection refused"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.InterfaceError("the connection is closed"),
        chained(RuntimeError("while rendering"), OperationalError("terminating connection")),
    ],
    ids=["django", "psycopg", "psycopg-interface", "chained"],
)
def test_database_connection_errors_are_recognised(error):
    assert database_unreachable(error)


@pytest.mark.parametrize(
    "error", [ValueError("bad"), KeyError("x"), None, chained(ValueError(), TypeError())]
)
def test_other_errors_stay_500s(error):
    assert not database_unreachable(error)
