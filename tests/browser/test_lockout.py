import pytest
from playwright.sync_api import Page, expect

from contentops.roles import STAFF_VIEWERS
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def try_password(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_failing_the_password_locks_out_until_an_administrator_unlocks(
    new_context, login, settings
):
    settings.LOCKOUT_FAILURE_LIMIT = 3
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 10
    alice = UserFactory(username="alice", groups=[STAFF_VIEWERS])
    root = UserFactory(username="root", is_superuser=True)
    page = new_context().new_page()

    for _ in range(2):
        try_password(page, "alice", "not-her-password")
        expect(page.locator(".errornote")).to_contain_text("correct username and password")
    try_password(page, "alice", "not-her-password")

    expect(page.locator("#locked-out-message")).to_contain_text("Too many failed sign-ins")
    expect(page.locator("#content-main")).to_contain_text("ask an administrator to unlock you")
    try_password(page, "alice", PASSWORD)  # the right password, still refused
    expect(page.locator("#locked-out-message")).to_be_visible()

    admin_page = login(new_context(), root)
    admin_page.goto("/admin/axes/accessattempt/lockouts/")
    row = admin_page.locator("#lockouts tbody tr", has_text="alice")
    expect(row).to_contain_text("user name at address")
    row.get_by_role("button", name="Unlock").click()
    expect(admin_page.locator(".messagelist .success")).to_contain_text(
        "3 failed sign-ins forgotten"
    )
    expect(admin_page.locator("#unlocks tbody tr").first).to_contain_text("root")

    login(page, alice)
