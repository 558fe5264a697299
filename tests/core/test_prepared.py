"""Reads every request makes are prepared once per connection (core.prepared)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import prepared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SQL = "SELECT username FROM auth_user WHERE id = %s"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE from_sql = false")
        return [row[0] for row in cursor.fetchall()]


def test_a_read_is_prepared_at_its_first_run_and_reused_after(django_assert_num_queries):
    first, second = UserFactory(username="first"), UserFactory(username="second")
    with django_assert_num_queries(2):
        assert prepared.fetch_one("default", SQL, [first.pk]) == ("first",)
        assert prepared.fetch_one("default", SQL, [second.pk]) == ("second",)
    assert prepared_statements().count("SELECT username FROM auth_user WHERE id = $1") == 1


def test_the_query_log_holds_the_statement_with_its_values():
    user = UserFactory(username="logged")
    with CaptureQueriesContext(connection) as captured:
        prepared.fetch_one("default", SQL, [user.pk])
    assert captured.captured_queries[0]["sql"] == SQL % user.pk


def test_a_missing_row_is_none():
    assert prepared.fetch_one("default", SQL, [987654321]) is None


def test_an_admin_request_reads_its_session_and_user_through_prepared_statements(
    admin_client,
):
    assert admin_client.get("/admin/").status_code == 200
    statements = prepared_statements()
    assert any(s.startswith('SELECT session_data FROM "django_session"') for s in statements)
    assert any("AS own_permissions" in s for s in statements)


def test_with_prepared_reads_off_the_read_is_sent_as_a_plain_statement(settings):
    settings.DATABASE_PREPARED_READS = False
    user = UserFactory(username="plain")
    sql = "SELECT username FROM auth_user WHERE id = %s AND is_active"
    assert prepared.fetch_one("default", sql, [user.pk]) == ("plain",)
    assert prepared.fetch_one("default", sql, [user.pk]) == ("plain",)
    assert not any("AND is_active" in s for s in prepared_statements())


def test_a_closed_connection_is_a_database_error_as_for_any_other_query():
    # As when the server goes away mid-transaction: Django keeps the closed
    # connection until the transaction ends, and the next query must say the
    # database is away (the 503 page), as a plain cursor does.
    from django.db import OperationalError

    from core.unavailable import database_unreachable

    connection.ensure_connection()
    connection.close()  # inside the test's transaction: closed, still held
    with pytest.raises(OperationalError) as raised:
        prepared.fetch_one("default", SQL, [1])
    assert database_unreachable(raised.value)
