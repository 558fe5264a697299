"""Lockout after failed sign-ins: per user name at an address, per address,
per user name everywhere; the cool-off; the message; what does not count."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_login_failed
from django.db.models import F, Sum
from django.test import Client, RequestFactory

from accounts.lockout import client_address
from tests.factories import PASSWORD, UserFactory
from tests.helpers import html, select_one, sign_in, text

pytestmark = pytest.mark.django_db

ATTACKER, HOME, OFFICE, CAFE = "203.0.113.9", "198.51.100.1", "198.51.100.2", "198.51.100.3"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOCKOUT_FAILURE_LIMIT = 3
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 6
    settings.LOCKOUT_USER_FAILURE_LIMIT = 8
    return settings


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def fail(username, times, address):
    client = Client()
    return [sign_in(client, username, "wrong", address=address).status_code for _ in range(times)]


def test_a_user_name_is_locked_at_an_address_after_the_limit_from_settings(alice, bob):
    assert fail("alice", 2, HOME) == [200, 200]
    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 302
    # A success does not wipe the count (else one valid account resets an address's).
    assert fail("alice", 1, HOME) == [429]

    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 429
    # The address itself is not locked (6 failures), nor alice elsewhere (8).
    assert sign_in(Client(), "bob", PASSWORD, address=HOME).status_code == 302
    assert sign_in(Client(), "alice", PASSWORD, address=OFFICE).status_code == 302


def test_the_limit_follows_the_setting(limits, alice):
    limits.LOCKOUT_FAILURE_LIMIT = 5

    assert fail("alice", 5, HOME) == [200, 200, 200, 200, 429]


def test_an_address_is_locked_after_its_limit_whatever_the_names(alice, bob):
    statuses = [fail(f"guess{n}", 1, ATTACKER)[0] for n in range(6)]

    assert statuses == [200] * 5 + [429]
    assert sign_in(Client(), "bob", PASSWORD, address=ATTACKER).status_code == 429
    assert sign_in(Client(), "bob", PASSWORD, address=OFFICE).status_code == 302


def test_guessing_names_from_one_address_does_not_lock_out_a_teammate_elsewhere(alice, bob):
    for name in ("alice", "bob", "admin", "root", "alice", "bob"):
        fail(name, 3, ATTACKER)
    # Once locked, the address's attempts are refused and not counted.
    fail("bob", 20, ATTACKER)

    for person in ("alice", "bob"):
        assert sign_in(Client(), person, PASSWORD, address=OFFICE).status_code == 302
    counted = AccessAttempt.objects.filter(username="bob").aggregate(n=Sum("failures_since_start"))
    assert counted["n"] == 3


def test_a_user_name_is_locked_everywhere_after_failures_from_many_addresses(alice, bob):
    fail("bob", 3, HOME)
    fail("bob", 3, OFFICE)
    assert fail("bob", 2, CAFE) == [200, 429]

    assert sign_in(Client(), "bob", PASSWORD, address="192.0.2.77").status_code == 429
    assert sign_in(Client(), "alice", PASSWORD, address="192.0.2.77").status_code == 302


def test_the_per_name_lock_everywhere_can_be_turned_off(limits, bob):
    limits.LOCKOUT_USER_FAILURE_LIMIT = 0
    for address in (HOME, OFFICE, CAFE):
        fail("bob", 3, address)

    assert sign_in(Client(), "bob", PASSWORD, address="192.0.2.77").status_code == 302


def test_failures_while_locked_out_are_not_counted(alice):
    fail("alice", 3, HOME)
    fail("alice", 5, HOME)

    assert AccessAttempt.objects.get(username="alice").failures_since_start == 3


def test_the_cool_off_ends_the_lockout(limits, alice):
    fail("alice", 3, HOME)
    cooloff = timedelta(minutes=limits.LOCKOUT_COOLOFF_MINUTES)

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - cooloff + timedelta(seconds=30))
    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=31))
    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 302


def test_the_lockout_page_says_so_in_the_admins_look(alice):
    response = sign_in(Client(), "alice", "wrong", address=HOME)
    for _ in range(2):
        response = sign_in(Client(), "alice", "wrong", address=HOME)

    assert response.status_code == 429
    assert "admin/accounts/locked_out.html" in [t.name for t in response.templates]
    page = html(response)
    message = text(select_one(page, "#locked-out-message"))
    assert "Too many failed sign-ins" in message
    assert "You can try again after" in text(select_one(page, "#content-main"))
    assert "ask an administrator to unlock you" in text(select_one(page, "#content-main"))
    assert select_one(page, "#header")  # the admin's header: the site's look
    body = response.content.decode()
    assert "style=" not in body and "<script>" not in body and " on" + "click=" not in body


def test_a_wrong_second_factor_reported_by_signal_counts_as_a_failure(alice):
    # How the second-factor step reports a wrong code (see the twofa piece).
    for _ in range(3):
        request = RequestFactory().post("/admin/login/", REMOTE_ADDR=HOME)
        user_login_failed.send(sender=__name__, credentials={"username": "alice"}, request=request)

    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 429
    assert sign_in(Client(), "alice", PASSWORD, address=OFFICE).status_code == 302


def test_wrong_second_factor_codes_after_the_lockout_are_not_counted(alice):
    for _ in range(7):
        request = RequestFactory().post("/admin/login/", REMOTE_ADDR=HOME)
        user_login_failed.send(sender=__name__, credentials={"username": "alice"}, request=request)

    assert AccessAttempt.objects.get().failures_since_start == 3
    assert request.axes_locked_out


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings):
    settings.LOCKOUT_PROXY_COUNT = 1
    forwarded = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HOME}"
    )
    direct = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")

    assert client_address(forwarded) == HOME  # not the client's own claim, 1.2.3.4
    assert client_address(direct) == "10.0.0.2"
    settings.LOCKOUT_PROXY_COUNT = 0
    assert client_address(forwarded) == "10.0.0.2"


@pytest.mark.parametrize("header", ["", "not-an-address", "1.2.3.4, <script>", "::1\x00"])
def test_a_forwarded_header_that_is_not_an_address_counts_as_the_proxys(settings, header):
    settings.LOCKOUT_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=header)

    assert client_address(request) == "10.0.0.2"
    form = {"username": "nobody", "password": "x"}
    response = Client().post(
        "/admin/login/", form, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=header
    )
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "10.0.0.2"


def test_behind_a_proxy_one_locked_address_does_not_lock_the_others(settings, alice):
    settings.LOCKOUT_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(6):
        Client().post(
            "/admin/login/",
            {"username": f"guess{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR=ATTACKER,
            **proxy,
        )

    form = {"username": "alice", "password": PASSWORD}
    assert (
        Client().post("/admin/login/", form, HTTP_X_FORWARDED_FOR=OFFICE, **proxy).status_code
        == 302
    )
    assert (
        Client().post("/admin/login/", form, HTTP_X_FORWARDED_FOR=ATTACKER, **proxy).status_code
        == 429
    )


ROOT = Path(__file__).resolve().parents[2]


def _check(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_refuse_a_per_name_limit_one_address_could_reach():
    result = _check(LOCKOUT_FAILURE_LIMIT="5", LOCKOUT_USER_FAILURE_LIMIT="5")

    assert result.returncode != 0
    assert "LOCKOUT_USER_FAILURE_LIMIT must be above LOCKOUT_FAILURE_LIMIT" in result.stderr
    assert _check(LOCKOUT_FAILURE_LIMIT="5", LOCKOUT_USER_FAILURE_LIMIT="0").returncode == 0
