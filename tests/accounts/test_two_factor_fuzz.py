"""The second factor's forms posted with anything: never a 500, never signed in,
verified or enrolled by a code that is not the right one."""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import example, given
from hypothesis import strategies as st

from tests.factories import PASSWORD, UserFactory
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import hostile_text
from tests.helpers import enrol, logged_in

pytestmark = pytest.mark.django_db

# Near-codes as well as junk: digits of every length, full-width digits, a pasted line.
codes = st.one_of(
    hostile_text(80),
    st.text(alphabet="0123456789 -", max_size=12),
    st.sampled_from(["１２３４５６", "123456\n", "abcd-efgh", "0" * 6, "a" * 16, "\x00" * 6]),
)


@pytest.fixture
def enrolled(db):
    user = UserFactory(username="fuzz-2fa")
    enrol(user)
    return user


@fuzz(max_examples=60)
@given(code=codes, next_url=hostile_text(60))
@example(code="", next_url="//evil.example/")
def test_the_sign_in_form_with_any_code_signs_no_one_in(enrolled, code, next_url):
    with case("endpoints: two-factor sign-in"):
        client = Client(raise_request_exception=True)
        data = {"username": "fuzz-2fa", "password": PASSWORD, "code": code, "next": next_url}
        response = send(client, "endpoints: two-factor sign-in", "post", "/admin/login/", data=data)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


@fuzz(max_examples=60)
@given(code=codes, next_url=hostile_text(60))
def test_verifying_with_any_code_verifies_nothing(enrolled, code, next_url):
    with case("endpoints: two-factor verify"):
        client = logged_in(enrolled, raise_request_exception=True)
        data = {"code": code, "next": next_url}
        url = "/admin/auth/user/two-factor/verify/"
        response = send(client, "endpoints: two-factor verify", "post", url, data=data)
        assert response.status_code == 400
        assert DEVICE_ID_SESSION_KEY not in client.session


@fuzz(max_examples=60)
@given(code=codes)
def test_enrolling_with_any_code_confirms_no_device(db, code):
    with case("endpoints: two-factor setup"):
        user = UserFactory(username="fuzz-setup")
        client = logged_in(user, raise_request_exception=True)
        url = "/admin/auth/user/two-factor/"
        send(client, "endpoints: two-factor setup", "get", url)
        response = send(client, "endpoints: two-factor setup", "post", url, data={"code": code})
        assert response.status_code == 400
        assert not TOTPDevice.objects.filter(user=user).exists()
