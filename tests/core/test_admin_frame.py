"""The admin's app list and sidebar, kept per permission set (core.admin_frame):
the same as Django's for every role, shared by requests with the same
permissions, and new as soon as a user's permissions change."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["admin_user", "moderator", "lead", "editor", "viewer"]
SIDEBAR = re.compile(r'<nav class="sticky" id="nav-sidebar".*?</nav>', re.S)
# An index (the site's, an app's) shows the app list itself, no sidebar.
PAGES = [
    "/admin/auth/user/",
    "/admin/videos/video/",
    "/admin/safety/reviewqueueitem/",
    "/admin/videos/artifact/gallery/",
]


def request_of(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


def djangos_app_list(request, app_label=None):
    return AdminSite.get_app_list(admin.site, request, app_label)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("app_label", [None, "videos", "safety"])
def test_the_kept_app_list_is_djangos_for_every_role(request, roles, role, app_label):
    user = request.getfixturevalue(role)
    kept = admin.site.get_app_list(request_of(user), app_label)
    assert kept == djangos_app_list(request_of(user), app_label)
    # Asked again, from the kept list: still the same.
    assert admin.site.get_app_list(request_of(user), app_label) == kept


def test_users_with_the_same_permissions_share_one_app_list(roles, moderator):
    other = UserFactory(username="moderator-2", groups=[*moderator.groups.all()])
    assert admin.site.get_app_list(request_of(moderator)) is admin.site.get_app_list(
        request_of(other)
    )


def test_a_granted_permission_shows_in_the_next_app_list(roles, viewer):
    def models_of(user):
        return {
            m["object_name"] for a in admin.site.get_app_list(request_of(user)) for m in a["models"]
        }

    assert "AccessAttempt" not in models_of(viewer)
    viewer.user_permissions.add(Permission.objects.get(codename="unlock_signin"))
    # A request loads its user afresh, permissions included.
    viewer = type(viewer).objects.get(pk=viewer.pk)
    assert "AccessAttempt" in models_of(viewer)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PAGES)
def test_each_page_shows_djangos_sidebar_for_every_role(request, roles, client, role, path):
    user = request.getfixturevalue(role)
    client.force_login(user)
    djangos = render_to_string(
        "admin/nav_sidebar.html",
        {
            "available_apps": djangos_app_list(request_of(user, path)),
            "request": request_of(user, path),
        },
    )
    for _ in range(2):  # rendered, then kept
        response = client.get(path)
        if response.status_code in (403, 404):
            return  # a page this role may not see (or does not have) shows no sidebar
        assert response.status_code == 200
        assert SIDEBAR.findall(response.content.decode()) == SIDEBAR.findall(djangos)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "app_label"), [("/admin/", None), ("/admin/videos/", "videos")])
def test_each_index_shows_djangos_app_list_for_every_role(
    request, roles, client, role, path, app_label
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    apps = djangos_app_list(request_of(user, path), app_label)
    djangos = render_to_string(
        "admin/app_list.html",
        {"app_list": apps, "show_changelinks": True, "request": request_of(user, path)},
    )
    for _ in range(2):  # rendered, then kept
        response = client.get(path)
        if response.status_code in (403, 404):
            return  # an app this role may not see
        assert response.status_code == 200
        assert djangos in response.content.decode()
