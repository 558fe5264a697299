"""The administrator's side of lockout: the failed sign-ins and the lockouts in
force, Unlock (recorded), and nobody else allowed near them."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from accounts.lockout_models import Unlock, UnlockRule
from tests.factories import PASSWORD, UserFactory
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import hostile_text
from tests.helpers import html, logged_in, select, select_one, sign_in, text

pytestmark = pytest.mark.django_db

LOCKOUTS = "/admin/axes/accessattempt/lockouts/"
ATTEMPTS = "/admin/axes/accessattempt/"
HOME, OFFICE, ATTACKER = "198.51.100.1", "198.51.100.2", "203.0.113.9"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOCKOUT_FAILURE_LIMIT = 3
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 6
    settings.LOCKOUT_USER_FAILURE_LIMIT = 8


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def fail(username, times, address):
    for _ in range(times):
        sign_in(Client(), username, "wrong", address=address)


def lockout_rows(response) -> list[list[str]]:
    return [
        [text(cell) for cell in select(row, "td")[:4]]
        for row in select(html(response), "#lockouts tbody tr")
    ]


def test_the_lockouts_page_lists_each_lockout_in_force(admin_user, alice):
    fail("alice", 3, HOME)
    for n in range(6):
        fail(f"guess{n}", 1, ATTACKER)
    fail("bob", 2, OFFICE)  # under every limit: not a lockout

    rows = lockout_rows(logged_in(admin_user).get(LOCKOUTS))

    assert sorted(rows) == sorted(
        [
            ["user name at address", "alice", HOME, "3"],
            ["address", "—", ATTACKER, "6"],
        ]
    )


def test_unlock_lets_the_user_sign_in_and_is_recorded(admin_user, alice):
    fail("alice", 3, HOME)
    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 429
    root = logged_in(admin_user)

    form = {"rule": UnlockRule.NAME_AT_ADDRESS, "username": "alice", "ip_address": HOME}
    response = root.post(LOCKOUTS, form, follow=True)

    assert "3 failed sign-ins forgotten" in text(select_one(html(response), ".messagelist"))
    assert text(select_one(html(response), "#no-lockouts")) == "Nobody is locked out."
    unlock = Unlock.objects.get()
    assert (unlock.by, unlock.rule, unlock.username, unlock.ip_address, unlock.failures) == (
        admin_user,
        UnlockRule.NAME_AT_ADDRESS,
        "alice",
        HOME,
        3,
    )
    assert "admin" in text(select_one(html(response), "#unlocks tbody tr"))
    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 302


def test_unlocking_an_address_leaves_other_addresses_counts(admin_user, alice):
    for n in range(6):
        fail(f"guess{n}", 1, ATTACKER)
    fail("alice", 3, HOME)

    logged_in(admin_user).post(LOCKOUTS, {"rule": UnlockRule.ADDRESS, "ip_address": ATTACKER})

    assert not AccessAttempt.objects.filter(ip_address=ATTACKER).exists()
    assert sign_in(Client(), "alice", PASSWORD, address=HOME).status_code == 429


@pytest.mark.parametrize(
    "form, message",
    [
        ({"rule": "everyone"}, "Choose a lockout to unlock"),
        ({"rule": UnlockRule.ADDRESS, "ip_address": "not-an-address"}, "is not an IP address"),
        ({"rule": UnlockRule.NAME, "username": ""}, "user name is missing"),
        ({"rule": UnlockRule.NAME, "username": "a\x00b"}, "user name is missing"),
        ({"rule": UnlockRule.NAME, "username": "x" * 256}, "user name is missing"),
    ],
)
def test_a_malformed_unlock_is_refused_with_a_message(admin_user, alice, form, message):
    fail("alice", 3, HOME)

    response = logged_in(admin_user).post(LOCKOUTS, form, follow=True)

    assert response.status_code == 200
    assert message in text(select_one(html(response), ".messagelist"))
    assert AccessAttempt.objects.count() == 1 and not Unlock.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "editor", "moderator", "lead"])
def test_only_administrators_see_attempts_or_unlock(request, roles, alice, who):
    fail("alice", 3, HOME)
    client = logged_in(request.getfixturevalue(who))
    attempt = AccessAttempt.objects.get()

    assert client.get(LOCKOUTS).status_code == 403
    form = {"rule": UnlockRule.NAME_AT_ADDRESS, "username": "alice", "ip_address": HOME}
    assert client.post(LOCKOUTS, form).status_code == 403
    assert client.get(ATTEMPTS).status_code == 403
    action = {"action": "unlock_selected", "_selected_action": [attempt.pk]}
    assert client.post(ATTEMPTS, action).status_code == 403
    assert AccessAttempt.objects.count() == 1 and not Unlock.objects.exists()


def test_the_attempts_list_unlocks_the_selected_rows_and_records_each(admin_user, alice):
    fail("alice", 2, HOME)
    Client(HTTP_USER_AGENT="another browser").post(
        "/admin/login/", {"username": "alice", "password": "x"}, REMOTE_ADDR=HOME
    )
    fail("bob", 2, OFFICE)
    alices = AccessAttempt.objects.filter(username="alice")
    assert alices.count() == 2

    action = {
        "action": "unlock_selected",
        "_selected_action": list(alices.values_list("pk", flat=True)),
    }
    logged_in(admin_user).post(ATTEMPTS, action)

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["bob"]
    assert list(Unlock.objects.values_list("username", "failures")) == [("alice", 3)]


def test_lockouts_page_query_count_does_not_grow_with_lockouts(
    admin_user, alice, django_assert_num_queries
):
    client = logged_in(admin_user)
    fail("alice", 3, HOME)
    client.get(LOCKOUTS)
    # Session, user, a query per rule (3), the recent unlocks with who made them.
    with django_assert_num_queries(6):
        assert client.get(LOCKOUTS).status_code == 200
    for n in range(4):
        fail(f"user{n}", 3, f"192.0.2.{n}")
        client.post(LOCKOUTS, {"rule": UnlockRule.ADDRESS, "ip_address": f"192.0.2.{n}"})
        fail(f"user{n}", 3, f"192.0.2.{n}")
    with django_assert_num_queries(6):
        assert len(lockout_rows(client.get(LOCKOUTS))) == 5


def test_attempts_list_query_count_does_not_grow_with_rows(
    admin_user, alice, django_assert_num_queries
):
    client = logged_in(admin_user)
    fail("alice", 1, HOME)
    client.get(ATTEMPTS)
    # Session, user, the bounded count (core.pagination), the page of rows.
    with django_assert_num_queries(4):
        assert client.get(ATTEMPTS).status_code == 200
    for n in range(10):
        fail(f"user{n}", 1, f"192.0.2.{n}")
    with django_assert_num_queries(4):
        assert client.get(ATTEMPTS).status_code == 200


@fuzz(max_examples=60)
@given(
    form=st.fixed_dictionaries(
        {},
        optional={
            "rule": st.one_of(st.sampled_from(UnlockRule.values), hostile_text(30)),
            "username": hostile_text(300),
            "ip_address": st.one_of(hostile_text(60), st.sampled_from([HOME, "::1", "999.1.1.1"])),
        },
    )
)
def test_the_lockouts_page_posted_with_anything_unlocks_or_refuses_without_a_500(admin_user, form):
    client = logged_in(admin_user, raise_request_exception=True)
    with case("endpoints: lockouts"):
        response = send(client, "endpoints: lockouts", "post", LOCKOUTS, data=form, follow=True)
        assert response.status_code == 200


@fuzz(max_examples=40)
@given(
    username=hostile_text(200),
    header=st.one_of(hostile_text(80), st.sampled_from([f"{HOME}, x", "::1", "1.2.3.4,,"])),
)
def test_the_sign_in_form_posted_with_anything_answers_without_a_500(settings, username, header):
    settings.LOCKOUT_PROXY_COUNT = 1
    client = Client(raise_request_exception=True)
    with case("endpoints: sign-in"):
        response = send(
            client,
            "endpoints: sign-in",
            "post",
            "/admin/login/",
            data={"username": username, "password": "x"},
            HTTP_X_FORWARDED_FOR=header,
        )
        assert response.status_code in (200, 429)


@pytest.mark.parametrize("term", ["alice", HOME, "not an address", "%"])
def test_the_attempts_list_searches_names_and_addresses(admin_user, alice, term):
    fail("alice", 1, HOME)
    fail("bob", 1, OFFICE)

    response = logged_in(admin_user).get(ATTEMPTS, {"q": term})

    assert response.status_code == 200
    shown = [text(cell) for cell in select(html(response), "#result_list td.field-username")]
    assert shown == (["alice"] if term in ("alice", HOME) else [])


def test_a_search_with_a_nul_character_is_ignored_with_a_message(admin_user, alice):
    fail("alice", 1, HOME)

    response = logged_in(admin_user).get(ATTEMPTS, {"q": "a\x00b"}, follow=True)

    assert "cannot contain a NUL character" in text(select_one(html(response), ".messagelist"))
