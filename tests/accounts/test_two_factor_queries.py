"""The second factor's pages run a fixed number of queries, pinned exactly as in
tests/admin/test_query_counts.py, in the state each page is used in: the
requirement on, the session verified where the page needs it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django_otp.plugins.otp_static.models import StaticToken

from accounts import two_factor
from accounts.models import TwoFactorEvent, TwoFactorKind
from tests.helpers import enrol, logged_in, verified

pytestmark = pytest.mark.django_db

ROW_COUNTS = [3, 30]


@pytest.fixture(autouse=True)
def warm_content_types(db):
    ContentType.objects.get_for_model(get_user_model())


def test_enrolment_page(two_factor_required, editor, django_assert_num_queries):
    client = logged_in(editor)
    client.get("/admin/auth/user/two-factor/")  # the secret is now in the session
    # session, user with their permissions (the menu), whether the user has a device.
    with django_assert_num_queries(3):
        response = client.get("/admin/auth/user/two-factor/")
    assert response.status_code == 200


@pytest.mark.parametrize("used", [0, 9])
def test_status_page(two_factor_required, editor, used, django_assert_num_queries):
    device, codes = enrol(editor)
    StaticToken.objects.filter(token__in=codes[:used]).delete()
    client = verified(editor, device)
    # session, user, the device the session passed with, whether the user has a
    # device, the count of unused backup codes (permissions: read with the user).
    with django_assert_num_queries(5):
        response = client.get("/admin/auth/user/two-factor/")
    assert response.context["remaining"] == two_factor.BACKUP_CODE_COUNT - used


def test_verify_page(two_factor_required, editor, django_assert_num_queries):
    enrol(editor)
    client = logged_in(editor)
    # session, user with their permissions, whether the user has a device.
    with django_assert_num_queries(3):
        response = client.get("/admin/auth/user/two-factor/verify/")
    assert response.status_code == 200


def test_reset_page(two_factor_required, admin_user, editor, django_assert_num_queries):
    enrol(editor)
    device, _ = enrol(admin_user)
    client = verified(admin_user, device)
    # session, user, the device the session passed with, the user shown, whether
    # they have an app, their unused backup codes, their devices (for the reset's check).
    with django_assert_num_queries(7):
        response = client.get(f"/admin/auth/user/{editor.pk}/two-factor/reset/")
    assert response.status_code == 200


@pytest.mark.parametrize("events", ROW_COUNTS)
def test_user_history_page_does_not_grow_with_events(
    two_factor_required, admin_user, editor, events, django_assert_num_queries
):
    for _ in range(events):
        TwoFactorEvent.objects.create(user=editor, actor=admin_user, kind=TwoFactorKind.RESET)
    device, _ = enrol(admin_user)
    client = verified(admin_user, device)
    # session, user, the device the session passed with, the user shown, the
    # count of Django's log entries, the events with their actors.
    with django_assert_num_queries(6):
        response = client.get(f"/admin/auth/user/{editor.pk}/history/")
    assert response.content.decode().count('class="two-factor-reset"') == events
