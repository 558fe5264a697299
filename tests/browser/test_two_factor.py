"""Two-factor sign-in end to end: set up an authenticator app through the page
(the test plays the app, computing codes from the secret shown), sign out, sign
in with a code, be refused with a wrong one, and be locked out after the limit
of failures, wrong codes counting as wrong passwords do."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from accounts import two_factor
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def sign_out(page: Page) -> None:
    page.locator("#logout-form").get_by_role("button", name="Log out").click()
    expect(page.locator("#content")).to_contain_text("Logged out")


def sign_in(page: Page, username: str, code: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Log in").click()


def test_enrol_sign_in_with_a_code_be_refused_with_a_wrong_one_then_locked_out(
    two_factor_required, new_context, login, screenshot, settings
):
    settings.LOCKOUT_FAILURE_LIMIT = 3
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 10
    user = UserFactory(username="dana")
    # With the second factor required, signing in with a password leads to its setup.
    page = login(new_context(), user)
    expect(page).to_have_url(re.compile(r"/admin/auth/user/two-factor/\?next=%2Fadmin%2F$"))
    expect(page.locator("#two-factor-qr svg")).to_be_visible()
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret)

    page.get_by_label("Code the app shows now").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#backup-codes li")).to_have_count(two_factor.BACKUP_CODE_COUNT)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.locator("#site-name")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    sign_out(page)

    # The app's next code (the one that confirmed it is spent).
    sign_in(page, "dana", f"{totp(key, drift=1):06d}")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#user-tools")).to_contain_text("dana", ignore_case=True)
    sign_out(page)

    valid = {f"{totp(key, drift=step):06d}" for step in range(-1, 3)}
    sign_in(page, "dana", next(code for code in ("000000", "111111") if code not in valid))
    expect(page.locator(".errornote")).to_contain_text("That code is not valid")
    expect(page.locator("#user-tools")).to_have_count(0)
    expect(page.get_by_label("Username")).to_have_value("dana")
    screenshot(page, "two-factor-wrong-code")
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))

    # Two more wrong codes reach the limit (3): signing in is locked, even with
    # the right password and the app's code.
    for wrong in ("222222", "333333"):
        sign_in(page, "dana", wrong if wrong not in valid else "444444")
    expect(page.locator("#locked-out-message")).to_contain_text("Too many failed sign-ins")
    sign_in(page, "dana", f"{totp(key, drift=2):06d}")
    expect(page.locator("#locked-out-message")).to_be_visible()
    expect(page.locator("#user-tools")).to_have_count(0)
