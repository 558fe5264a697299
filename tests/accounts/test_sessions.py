"""Session limits enforced on the server (idle and absolute), and "sign out
everywhere" for oneself or, by an administrator, for anyone."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import LAST_SEEN, SIGNED_IN_AT
from accounts.sessions_models import SessionsEnded
from contentops.roles import STAFF_VIEWERS
from tests.factories import PASSWORD, UserFactory
from tests.helpers import html, select, select_one, sign_in, text

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


@pytest.fixture
def alice(roles):
    return UserFactory(username="alice", groups=[STAFF_VIEWERS])


def signed_in(user) -> Client:
    client = Client()
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    return client


def shift(client, **ago: timedelta) -> None:
    """Move the session's recorded times back, as if that long had passed."""
    store = client.session
    for key, name in ((SIGNED_IN_AT, "signed_in"), (LAST_SEEN, "last_seen")):
        if name in ago:
            store[key] = store[key] - ago[name].total_seconds()
    store.save()


def is_signed_in(client) -> bool:
    response = client.get(INDEX)
    return response.status_code == 200


def test_signing_in_records_when(alice):
    before = timezone.now().timestamp()
    store = signed_in(alice).session

    assert before <= store[SIGNED_IN_AT] == store[LAST_SEEN] <= timezone.now().timestamp()


def test_a_session_idle_past_the_limit_is_signed_out_with_a_message(settings, alice):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(alice)
    shift(client, last_seen=timedelta(minutes=29))
    assert is_signed_in(client)

    shift(client, last_seen=timedelta(minutes=31))
    response = client.get(INDEX, follow=True)

    assert response.redirect_chain[0][0].startswith("/admin/login/")
    assert "after 30 minutes without activity" in text(select_one(html(response), ".messagelist"))
    assert not is_signed_in(client)
    assert not Session.objects.filter(session_key=client.session.session_key).exists()


def test_activity_keeps_a_session_and_is_recorded_at_most_once_a_minute(settings, alice):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(alice)
    shift(client, last_seen=timedelta(seconds=30))
    seen = client.session[LAST_SEEN]
    assert is_signed_in(client)
    assert client.session[LAST_SEEN] == seen  # not written for a request 30 s later

    shift(client, last_seen=timedelta(minutes=25))
    assert is_signed_in(client)
    assert client.session[LAST_SEEN] >= timezone.now().timestamp() - 5

    shift(client, last_seen=timedelta(minutes=25))
    assert is_signed_in(client)  # 50 minutes since signing in, never 30 idle


def test_a_review_page_renewing_its_claim_does_not_keep_the_session_alive(settings, moderator):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(moderator)
    shift(client, last_seen=timedelta(minutes=20))
    seen = client.session[LAST_SEEN]

    renew = reverse("admin:safety_reviewqueueitem_renew", args=[uuid.uuid4()])
    assert client.post(renew).status_code == 409  # no such claim; it asked all the same
    assert client.session[LAST_SEEN] == seen

    shift(client, last_seen=timedelta(minutes=11))
    assert client.post(renew).status_code == 302  # to the sign-in page
    assert not is_signed_in(client)


def test_a_session_ends_at_its_absolute_lifetime_however_active(settings, alice):
    settings.SESSION_LIFETIME_MINUTES = 8 * 60
    client = signed_in(alice)
    shift(client, signed_in=timedelta(hours=7, minutes=59))
    assert is_signed_in(client)

    shift(client, signed_in=timedelta(minutes=2))
    response = client.get(INDEX, follow=True)

    assert "sessions last 8 hours at most" in text(select_one(html(response), ".messagelist"))
    assert not is_signed_in(client)


ROOT = Path(__file__).resolve().parents[2]


def _settings(*names, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
        and not k.startswith("SESSION_")
    }
    show = (
        "from django.conf import settings; print(" + ", ".join(f"settings.{n}" for n in names) + ")"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT,
        env={**base, "SECRET_KEY": "x" * 60, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout.split()[-len(names) :]


def test_limits_default_to_8_hours_and_30_minutes_in_production_and_come_from_the_environment():
    names = ("SESSION_LIFETIME_MINUTES", "SESSION_IDLE_MINUTES", "SESSION_COOKIE_AGE")

    assert _settings(*names) == ["480", "30", str(8 * 3600)]
    assert _settings(*names, DEBUG="1") == [str(14 * 24 * 60), str(3 * 24 * 60), str(14 * 86400)]
    assert _settings(*names, SESSION_LIFETIME_MINUTES="60", SESSION_IDLE_MINUTES="5") == [
        "60",
        "5",
        "3600",
    ]


# Sign out everywhere


def sessions_url(user) -> str:
    return reverse("admin:auth_user_sessions", args=[user.pk])


def test_signing_out_everywhere_ends_every_session_of_the_user(alice):
    laptop, phone = signed_in(alice), signed_in(alice)
    bob = signed_in(UserFactory(username="bob", groups=[STAFF_VIEWERS]))
    page = laptop.get(sessions_url(alice))
    assert "signed in 2 times" in text(select_one(html(page), "#session-count"))

    response = laptop.post(sessions_url(alice), follow=True)

    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert "signed out of 2 session(s)" in text(select_one(html(response), ".messagelist"))
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(bob)
    record = SessionsEnded.objects.get()
    assert (record.user, record.by, record.sessions) == (alice, alice, 2)


def test_a_superuser_signs_anyone_out_everywhere_and_it_is_recorded(admin_user, alice):
    laptop, phone = signed_in(alice), signed_in(alice)
    root = signed_in(admin_user)

    response = root.post(sessions_url(alice), follow=True)

    assert "Alice was signed out of 2 session(s)" in text(
        select_one(html(response), ".messagelist")
    )
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(root)
    rows = select(html(response), "#sessions-ended tbody tr")
    assert len(rows) == 1 and "admin" in text(rows[0])
    assert SessionsEnded.objects.get().by == admin_user


@pytest.mark.parametrize("who", ["viewer", "editor", "moderator", "lead"])
def test_nobody_else_may_sign_someone_out(request, alice, who):
    other = signed_in(request.getfixturevalue(who))
    laptop = signed_in(alice)

    assert other.get(sessions_url(alice)).status_code == 403
    assert other.post(sessions_url(alice)).status_code == 403
    assert is_signed_in(laptop)
    assert not SessionsEnded.objects.exists()


def test_the_password_change_page_links_to_sign_out_everywhere(alice):
    page = html(signed_in(alice).get("/admin/password_change/"))

    link = select_one(page, "a#sign-out-everywhere")
    assert dict(link.attributes)["href"] == sessions_url(alice)


def test_the_user_change_page_links_a_superuser_to_sign_out_everywhere(admin_user, alice):
    page = html(signed_in(admin_user).get(reverse("admin:auth_user_change", args=[alice.pk])))

    link = select_one(page, "a#sign-out-everywhere")
    assert dict(link.attributes)["href"] == sessions_url(alice)


def test_sessions_of_other_users_are_decoded_not_matched_by_text(alice):
    # A user whose key starts with alice's (1 and 12) keeps their session.
    others = [UserFactory(username=f"u{n}", groups=[STAFF_VIEWERS]) for n in range(12)]
    clients = [signed_in(user) for user in others]
    alice_client = signed_in(alice)
    alice_client.post(sessions_url(alice))

    assert all(is_signed_in(client) for client in clients)
    assert not is_signed_in(alice_client)


def test_sessions_page_query_count_is_pinned(django_assert_num_queries, alice):
    client = signed_in(alice)
    for _ in range(3):
        signed_in(alice)
    client.get(sessions_url(alice))
    # Session, user with their permissions (accounts.backends), the user shown,
    # the sessions scanned, the earlier sign-outs with who did them.
    with django_assert_num_queries(5):
        assert client.get(sessions_url(alice)).status_code == 200
    for _ in range(5):
        signed_in(alice)
    with django_assert_num_queries(5):
        assert client.get(sessions_url(alice)).status_code == 200
