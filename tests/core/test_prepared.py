"""Reads every request makes are prepared once per connection (core.prepared)."""

import pytest
from django.db import connection

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


def test_a_missing_row_is_none():
    assert prepared.fetch_one("default", SQL, [987654321]) is None


def test_an_admin_request_reads_its_session_and_user_through_prepared_statements(
    admin_client,
):
    assert admin_client.get("/admin/").status_code == 200
    statements = prepared_statements()
    assert any(s.startswith('SELECT session_data FROM "django_session"') for s in statements)
    assert any("AS own_permissions" in s for s in statements)
