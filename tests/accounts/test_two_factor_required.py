"""While the second factor is required, a staff session that has not passed it
reaches no admin URL but enrolment, verification and signing in or out.

The URLs come from Django's resolver, as in the permission matrix, so a page
added tomorrow is covered the day it is added."""

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.two_factor_middleware import OPEN_BEFORE_SECOND_FACTOR
from tests.factories import UserFactory
from tests.helpers import enrol, logged_in, verified

pytestmark = pytest.mark.django_db

SETUP_URL = "/admin/auth/user/two-factor/"
VERIFY_URL = "/admin/auth/user/two-factor/verify/"
# A value for each kind of URL argument: the middleware answers before any view looks.
ARGUMENTS = {"path": "1", "str": "1", "int": "1", "uuid": str(uuid.uuid4())}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and namespace == "admin:":
            yield prefix + str(pattern.pattern), pattern


def _concrete(route: str, pattern) -> str:
    if pattern.name == "app_list":
        return "/admin/auth/"
    if "(?P<url>" in route:  # the admin's catch-all
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: ARGUMENTS[m[1] or "str"], route)


def admin_urls() -> dict[str, str]:
    """View name (or route) -> a URL of it, for every admin URL pattern."""
    return {
        f"admin:{pattern.name}" if pattern.name else route: _concrete(route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
    }


URLS = admin_urls()
HELD_BACK = sorted(set(URLS) - OPEN_BEFORE_SECOND_FACTOR)


def test_the_urls_include_every_kind_of_admin_page():
    assert len(HELD_BACK) > 40
    assert {"admin:index", "admin:auth_user_changelist", "admin:auth_user_two_factor_reset"} <= set(
        HELD_BACK
    )
    assert OPEN_BEFORE_SECOND_FACTOR <= set(URLS)


@pytest.mark.parametrize("key", HELD_BACK)
def test_a_session_without_the_second_factor_reaches_no_admin_page(
    two_factor_required, admin_user, key
):
    # A superuser: every page would otherwise let them in.
    client = logged_in(admin_user)
    for method in ("get", "post"):
        response = getattr(client, method)(URLS[key])
        assert response.status_code == 302, f"{method} {URLS[key]}: {response.status_code}"
        assert response["Location"].startswith(SETUP_URL), response["Location"]


def test_a_user_with_a_device_is_sent_to_verify_and_then_back(two_factor_required, editor):
    enrol(editor)
    response = logged_in(editor).get("/admin/videos/video/?q=x")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY_URL}?next=%2Fadmin%2Fvideos%2Fvideo%2F%3Fq%3Dx"


def test_a_post_is_not_carried_to_the_second_factor(two_factor_required, editor):
    response = logged_in(editor).post("/admin/videos/video/add/", {"title": "x"})
    assert response["Location"] == SETUP_URL


def test_enrolment_verification_and_signing_in_and_out_stay_open(two_factor_required, editor):
    client = logged_in(editor)
    assert client.get(SETUP_URL).status_code == 200
    assert client.get(VERIFY_URL)["Location"].startswith(SETUP_URL)  # no device: set one up
    assert client.get("/admin/login/")["Location"] == "/admin/"
    response = client.post("/admin/logout/")
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_session_that_passed_the_second_factor_reaches_the_admin(two_factor_required, editor):
    device, _ = enrol(editor)
    assert verified(editor, device).get("/admin/videos/video/").status_code == 200


def test_without_the_requirement_a_password_session_reaches_the_admin(editor):
    enrol(editor)
    assert logged_in(editor).get("/admin/videos/video/").status_code == 200


def test_the_requirement_holds_staff_only(two_factor_required, db, client):
    # Not staff: the admin sends them to sign in as staff, not to a second factor.
    client.force_login(UserFactory(username="outsider", is_staff=False))
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


ROOT = Path(__file__).resolve().parents[2]


def _required_in(env: dict) -> str:
    """TWO_FACTOR_REQUIRED as a fresh process, started as a deployment would be, reads it."""
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    code = "from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**base, "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def test_required_by_default_without_debug_and_not_with_it():
    assert _required_in({}) == "True"
    assert _required_in({"DEBUG": "1"}) == "False"
    assert _required_in({"DEBUG": "1", "TWO_FACTOR_REQUIRED": "1"}) == "True"
    assert _required_in({"TWO_FACTOR_REQUIRED": "0"}) == "False"
