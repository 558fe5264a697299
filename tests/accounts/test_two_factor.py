"""Two-factor sign-in: the code on the sign-in form, enrolment, backup codes,
verifying a session, a superuser's reset, and their History."""

import base64
import re

import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import TwoFactorEvent, TwoFactorKind
from accounts.two_factor_views import PENDING_KEY
from contentops.roles import EDITORS, LEADS, MODERATORS, STAFF_VIEWERS
from tests.factories import PASSWORD, UserFactory
from tests.helpers import enrol, html, logged_in, next_code, select, select_one, text, verified

pytestmark = pytest.mark.django_db

SETUP_URL = "/admin/auth/user/two-factor/"
VERIFY_URL = "/admin/auth/user/two-factor/verify/"
CODES_URL = "/admin/auth/user/two-factor/backup-codes/"


def reset_url(user) -> str:
    return f"/admin/auth/user/{user.pk}/two-factor/reset/"


@pytest.fixture
def failures():
    """The failed sign-ins reported through Django's signal, as lockout receives them."""
    seen = []

    def receive(sender, credentials, request=None, **kwargs):
        seen.append({"credentials": credentials, "request": request})

    user_login_failed.connect(receive, dispatch_uid="two-factor-test")
    yield seen
    user_login_failed.disconnect(dispatch_uid="two-factor-test")


def sign_in(client, user, code=None):
    data = {"username": user.get_username(), "password": PASSWORD, "next": "/admin/"}
    if code is not None:
        data["code"] = code
    return client.post("/admin/login/", data)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def errors(response) -> str:
    return " ".join(text(e) for e in select(html(response), ".errornote"))


# ---------------------------------------------------------------------------
# Signing in.


def test_sign_in_of_an_enrolled_user_with_the_apps_code_passes_the_second_factor(editor):
    device, _ = enrol(editor)
    client = Client()
    response = sign_in(client, editor, next_code(device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert is_signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


@pytest.mark.parametrize("code", ["", "000000", "12345", "abcdefgh", "１２３４５６", "0" * 70])
def test_a_wrong_or_missing_code_refuses_the_sign_in_and_reports_a_failed_login(
    editor, failures, code
):
    device, _ = enrol(editor)
    if code == next_code(device):  # one chance in a million
        code = "999999"
    client = Client()
    response = sign_in(client, editor, code)
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert "code" in errors(response)
    assert [f["credentials"] for f in failures] == [{"username": "editor"}]


def test_a_wrong_code_says_the_code_is_not_valid(editor, failures):
    enrol(editor)
    response = sign_in(Client(), editor, "000000")
    assert two_factor.NOT_VALID in errors(response)
    assert failures[0]["credentials"] == {"username": "editor"}
    assert failures[0]["request"].path == "/admin/login/"


def test_a_wrong_password_is_refused_before_any_code_is_tried(editor, failures):
    device, _ = enrol(editor)
    code = next_code(device)
    client = Client()
    response = client.post(
        "/admin/login/", {"username": "editor", "password": "wrong", "code": code}
    )
    assert "correct username and password" in errors(response)
    assert not is_signed_in(client)
    # One failure (Django's, for the password); the code is still unspent.
    assert len(failures) == 1
    assert is_signed_in_with(editor, code)


def is_signed_in_with(user, code) -> bool:
    client = Client()
    sign_in(client, user, code)
    return is_signed_in(client)


def test_after_a_wrong_code_the_next_one_waits(editor, settings, failures):
    # A long wait, so the test never races the clock.
    settings.OTP_TOTP_THROTTLE_FACTOR = 600
    device, _ = enrol(editor)
    sign_in(Client(), editor, "000000")
    response = sign_in(Client(), editor, next_code(device))
    assert "Too many wrong codes in a row: wait" in errors(response)
    assert len(failures) == 2


def test_a_user_without_a_device_signs_in_with_a_password_alone(editor):
    client = Client()
    response = sign_in(client, editor)
    assert response.status_code == 302
    assert is_signed_in(client)
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_sign_in_form_shows_the_code_field(client):
    page = html(client.get("/admin/login/"))
    field = select_one(page, "input#id_code")
    assert dict(field.attributes)["autocomplete"] == "one-time-code"
    assert "backup codes" in text(select_one(page, "#id_code_helptext"))


# ---------------------------------------------------------------------------
# Backup codes.


def test_each_backup_code_signs_in_once(editor, failures):
    _, codes = enrol(editor)
    assert len(codes) == two_factor.BACKUP_CODE_COUNT == len(set(codes))
    assert is_signed_in_with(editor, codes[0].upper())  # as people copy them
    assert is_signed_in_with(editor, f"{codes[1][:4]} {codes[1][4:]}")
    # Last: a wrong code makes the next one wait a moment (django-otp's throttling).
    assert not is_signed_in_with(editor, codes[0])
    assert len(failures) == 1
    assert StaticToken.objects.filter(device__user=editor).count() == len(codes) - 2


def test_new_backup_codes_replace_the_old_ones_and_are_shown_once(editor):
    device, old = enrol(editor)
    client = verified(editor, device)
    response = client.post(CODES_URL)
    assert response.status_code == 200
    new = [text(code) for code in select(html(response), "#backup-codes code")]
    assert len(new) == two_factor.BACKUP_CODE_COUNT and not set(new) & set(old)
    assert is_signed_in_with(editor, new[0])
    assert not is_signed_in_with(editor, old[0])
    status = html(client.get(SETUP_URL))
    assert text(select_one(status, "#backup-codes-left")).startswith(
        f"You have {two_factor.BACKUP_CODE_COUNT - 1} unused backup codes"
    )
    assert not set(new) & set(text(status).split())
    assert kinds(editor) == [TwoFactorKind.BACKUP_CODES, TwoFactorKind.ENROLLED]


def test_new_backup_codes_need_a_session_that_passed_the_second_factor(editor):
    _, old = enrol(editor)
    response = logged_in(editor).post(CODES_URL, follow=True)
    assert "Enter a code from your authenticator app first" in text(html(response))
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)


def test_new_backup_codes_are_refused_without_a_device(editor):
    response = logged_in(editor).post(CODES_URL, follow=True)
    assert "Set up two-factor sign-in first" in text(html(response))
    assert not StaticDevice.objects.exists()


def test_backup_codes_are_made_by_post_only(editor):
    assert logged_in(editor).get(CODES_URL).status_code == 405


def kinds(user) -> list[str]:
    return list(TwoFactorEvent.objects.filter(user=user).values_list("kind", flat=True))


# ---------------------------------------------------------------------------
# Enrolment.


def setup_secret(response) -> bytes:
    shown = text(select_one(html(response), "#two-factor-secret")).replace(" ", "")
    return base64.b32decode(shown)


def test_enrolment_shows_a_qr_code_and_the_secret_and_confirms_only_a_valid_code(editor):
    client = logged_in(editor)
    response = client.get(SETUP_URL)
    assert response.status_code == 200
    key = setup_secret(response)
    qr = select_one(html(response), "#two-factor-qr svg")
    assert select(qr, "path")
    assert not TOTPDevice.objects.exists()

    wrong = client.post(SETUP_URL, {"code": f"{(totp(key) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400
    assert "That code does not match" in errors(wrong)
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    # The same secret until it is confirmed: the app scanned it once.
    assert setup_secret(wrong) == key

    done = client.post(SETUP_URL, {"code": f"{totp(key):06d}"})
    assert done.status_code == 200
    device = TOTPDevice.objects.get(user=editor)
    assert device.confirmed and device.bin_key == key
    codes = [text(code) for code in select(html(done), "#backup-codes code")]
    assert sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING_KEY not in client.session
    assert kinds(editor) == [TwoFactorKind.ENROLLED]
    assert TwoFactorEvent.objects.get(user=editor).actor == editor


def test_the_code_that_confirmed_the_app_cannot_sign_in_again(editor):
    client = logged_in(editor)
    key = setup_secret(client.get(SETUP_URL))
    code = f"{totp(key):06d}"
    client.post(SETUP_URL, {"code": code})
    assert not is_signed_in_with(editor, code)


def test_the_qr_code_holds_the_otpauth_url_of_the_secret(editor):
    device = two_factor.app_device(editor, two_factor.new_secret())
    assert device.config_url.startswith("otpauth://totp/contentops%3Aeditor?secret=")
    svg = two_factor.qr_code_svg(device)
    assert svg.startswith("<svg") and "viewBox" in svg


def test_the_second_factors_pages_carry_no_inline_style_or_script(admin_user, editor):
    """The Content-Security-Policy refuses inline code: the QR code is paths, no styles."""
    client = logged_in(editor)
    pages = [client.get(SETUP_URL), Client().get("/admin/login/")]
    key = setup_secret(pages[0])
    pages.append(client.post(SETUP_URL, {"code": f"{totp(key):06d}"}))
    pages += [client.get(SETUP_URL), client.post(CODES_URL)]
    pages.append(logged_in(editor).get(VERIFY_URL))
    root = logged_in(admin_user)
    pages += [root.get(reset_url(editor)), root.get(f"/admin/auth/user/{editor.pk}/history/")]
    pages.append(root.get(f"/admin/auth/user/{editor.pk}/change/"))
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        body = response.content.decode()
        assert not re.search(r"\sstyle=|\son\w+=|javascript:", body), response.request["PATH_INFO"]
        assert not re.search(r"<style|<script(?![^>]*\ssrc=)[^>]*>", body)


def test_an_enrolled_user_cannot_enrol_again(editor):
    device, _ = enrol(editor)
    client = verified(editor, device)
    response = client.get(SETUP_URL)
    assert "Two-factor sign-in is on" in text(select_one(html(response), "#two-factor-on"))
    assert not select(html(response), "#two-factor-secret")
    refused = client.post(SETUP_URL, {"code": "123456"})
    assert refused.status_code == 409
    assert "already set up" in errors(refused)
    assert TOTPDevice.objects.filter(user=editor).count() == 1


def test_a_key_planted_in_the_session_that_is_not_one_is_replaced(editor):
    client = logged_in(editor)
    session = client.session
    session[PENDING_KEY] = "not hex"
    session.save()
    response = client.get(SETUP_URL)
    assert len(setup_secret(response)) == 20


# ---------------------------------------------------------------------------
# Verifying a session.


def test_verifying_a_session_passes_it_and_goes_on_to_the_page_asked_for(editor, failures):
    device, _ = enrol(editor)
    client = logged_in(editor)
    wrong = client.post(VERIFY_URL, {"code": "000000", "next": "/admin/videos/"})
    assert wrong.status_code == 400
    assert two_factor.NOT_VALID in errors(wrong)
    assert failures[0]["credentials"] == {"username": "editor"}
    assert DEVICE_ID_SESSION_KEY not in client.session

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(VERIFY_URL, {"code": next_code(device), "next": "/admin/videos/"})
    assert response.status_code == 302 and response["Location"] == "/admin/videos/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_verifying_goes_nowhere_outside_the_site(editor):
    device, _ = enrol(editor)
    client = logged_in(editor)
    response = client.post(VERIFY_URL, {"code": next_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_verifying_without_a_device_sends_to_enrolment(editor):
    response = logged_in(editor).get(VERIFY_URL)
    assert response.status_code == 302 and response["Location"].startswith(SETUP_URL)


# ---------------------------------------------------------------------------
# A superuser's reset.


def test_a_superuser_resets_a_users_devices_and_history_names_them(admin_user, editor):
    device, codes = enrol(editor)
    client = verified(editor, device)
    root = logged_in(admin_user)
    page = root.get(reset_url(editor))
    assert f"{two_factor.BACKUP_CODE_COUNT} unused backup codes" in text(html(page))

    response = root.post(reset_url(editor))
    assert response.status_code == 302
    assert response["Location"] == f"/admin/auth/user/{editor.pk}/change/"
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticDevice.objects.filter(user=editor).exists()
    event = TwoFactorEvent.objects.get(user=editor, kind=TwoFactorKind.RESET)
    assert event.actor == admin_user
    # The editor's verified session is verified by nothing now.
    assert client.get(VERIFY_URL)["Location"].startswith(SETUP_URL)


def test_after_a_reset_the_user_signs_in_without_a_code_and_old_codes_are_gone(
    admin_user, editor
):
    _, codes = enrol(editor)
    two_factor.reset(user=editor, actor=admin_user)
    assert not two_factor.is_enrolled(editor)
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    assert is_signed_in_with(editor, "")


@pytest.mark.parametrize("group", [STAFF_VIEWERS, EDITORS, MODERATORS, LEADS, None])
def test_only_a_superuser_may_reset(roles, editor, group):
    device, _ = enrol(editor)
    someone = UserFactory(username="someone", groups=[group] if group else [])
    if group is None:
        # Even one who may change users: the reset is the superuser's.
        someone.user_permissions.add(*_user_permissions())
    client = logged_in(someone)
    assert client.get(reset_url(editor)).status_code == 403
    assert client.post(reset_url(editor)).status_code == 403
    assert TOTPDevice.objects.filter(user=editor).count() == 1
    assert not TwoFactorEvent.objects.filter(kind=TwoFactorKind.RESET).exists()


def _user_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="auth", codename__endswith="_user")


def test_resetting_a_user_without_a_device_is_refused_and_recorded_nowhere(admin_user, editor):
    response = logged_in(admin_user).post(reset_url(editor))
    assert response.status_code == 409
    assert "has no two-factor device to reset" in errors(response)
    assert not TwoFactorEvent.objects.exists()


def test_the_users_history_shows_enrolment_new_codes_and_reset_with_who_did_them(
    admin_user, editor
):
    device, _ = enrol(editor)
    verified(editor, device).post(CODES_URL)
    logged_in(admin_user).post(reset_url(editor))
    response = logged_in(admin_user).get(f"/admin/auth/user/{editor.pk}/history/")
    rows = [
        [text(cell) for cell in row.children if hasattr(cell, "children")][1:]
        for row in select(html(response), "#two-factor-history tbody tr")
    ]
    assert rows == [
        ["admin", "Two-factor devices reset"],
        ["editor", "Backup codes regenerated"],
        ["editor", "Two-factor sign-in set up"],
    ]


def test_the_user_change_page_links_to_the_reset(admin_user, editor):
    response = logged_in(admin_user).get(f"/admin/auth/user/{editor.pk}/change/")
    links = [dict(a.attributes).get("href") for a in select(html(response), ".object-tools a")]
    assert reset_url(editor) in links


def test_two_factor_events_are_append_only(admin_user, editor):
    from django.db import ProgrammingError, transaction

    enrol(editor)
    with pytest.raises(ProgrammingError), transaction.atomic():
        TwoFactorEvent.objects.update(actor=admin_user)
    with pytest.raises(ProgrammingError), transaction.atomic():
        TwoFactorEvent.objects.all().delete()
    assert kinds(editor) == [TwoFactorKind.ENROLLED]


def test_the_admin_links_every_user_to_their_two_factor_page(viewer):
    page = html(logged_in(viewer).get("/admin/"))
    links = {text(a): dict(a.attributes).get("href") for a in select(page, "#user-tools a")}
    assert links["Two-factor sign-in"] == SETUP_URL
