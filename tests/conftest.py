import pytest
from django.contrib.auth.models import Group

from contentops.roles import EDITORS, MODERATORS, STAFF_VIEWERS
from tests.factories import UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", groups=[MODERATORS])


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", groups=[EDITORS])


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", groups=[STAFF_VIEWERS])


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def roles_exist(db):
    assert Group.objects.filter(name__in=[MODERATORS, EDITORS, STAFF_VIEWERS]).count() == 3
