"""Sessions read with one plain statement (accounts.session_store): the same
rows as Django's database store, expired and deleted ones included."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string

pytestmark = pytest.mark.django_db


def store(key=None):
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(key)


def saved_session(**data):
    session = store()
    session.update(data)
    session.save()
    return session.session_key


def test_a_stored_session_is_read_back_with_one_plain_statement():
    key = saved_session(answer=42)
    with CaptureQueriesContext(connection) as queries:
        assert store(key)["answer"] == 42
    assert len(queries) == 1
    assert queries[0]["sql"].startswith('SELECT session_data FROM "django_session"')


def test_an_expired_session_reads_empty_and_gets_no_key():
    key = saved_session(answer=42)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    session = store(key)
    assert dict(session.items()) == {}
    assert session.session_key is None


def test_a_deleted_session_reads_empty_so_signing_out_everywhere_holds():
    key = saved_session(answer=42)
    Session.objects.filter(session_key=key).delete()
    assert "answer" not in store(key)
    assert store("no-such-session-key-at-all").load() == {}
