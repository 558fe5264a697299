"""The authentication backend reads a signed-in user with their permissions in
one query, and grants exactly what Django's ModelBackend grants."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from accounts.backends import PermissionsBackend
from contentops.roles import EDITORS, MODERATORS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_and_all_their_permissions_are_read_in_one_query(django_assert_num_queries):
    user = UserFactory(groups=[MODERATORS, EDITORS])
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    with django_assert_num_queries(1):
        loaded = PermissionsBackend().get_user(user.pk)
        assert loaded.has_perm("safety.review_safetyreport")
        assert loaded.has_perm("auth.view_user")
        assert not loaded.has_perm("auth.delete_user")
        permissions = loaded.get_all_permissions()
    assert permissions == ModelBackend().get_all_permissions(ModelBackend().get_user(user.pk))
    assert loaded.get_user_permissions() == {"auth.view_user"}


def test_a_superuser_has_every_permission_as_with_django():
    user = UserFactory(is_superuser=True)
    loaded = PermissionsBackend().get_user(user.pk)
    assert loaded.has_perm("auth.delete_user")
    assert loaded.get_all_permissions() == ModelBackend().get_all_permissions(user)


def test_an_inactive_or_missing_user_is_nobody():
    assert PermissionsBackend().get_user(UserFactory(is_active=False).pk) is None
    assert PermissionsBackend().get_user(987654321) is None


@pytest.mark.parametrize("user_id", ["not-a-number", "", None])
def test_a_session_user_id_that_is_no_key_is_nobody(user_id):
    # The server binds the id: anything but a key is nobody, never a 500.
    assert PermissionsBackend().get_user(user_id) is None


def test_a_user_is_read_back_with_their_fields():
    user = UserFactory(username="reader", email="reader@example.com", is_staff=True)
    loaded = PermissionsBackend().get_user(str(user.pk))
    assert (loaded.pk, loaded.username, loaded.email, loaded.is_staff) == (
        user.pk,
        "reader",
        "reader@example.com",
        True,
    )
    assert loaded.date_joined == user.date_joined and loaded._state.adding is False
