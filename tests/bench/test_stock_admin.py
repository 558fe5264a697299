"""The benchmark's stock admin is routed only with BENCH_STOCK_ADMIN, and only for staff."""

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches

import contentops.urls
from tests.factories import PendingReportFactory, UserFactory, VideoFactory
from videos.models import VideoStatus

pytestmark = pytest.mark.django_db

STOCK_PAGES = [
    "/stock-admin/videos/video/",
    "/stock-admin/videos/video/?status__exact=ready",
    "/stock-admin/videos/video/?q=Video",
    "/stock-admin/videos/task/",
    "/stock-admin/videos/artifact/",
    "/stock-admin/safety/safetyreport/?requires_human_review__exact=1&review_status__isnull=True",
]


def reload_urls():
    clear_url_caches()
    importlib.reload(contentops.urls)


@pytest.fixture
def stock_admin_on(settings):
    settings.BENCH_STOCK_ADMIN = True
    reload_urls()
    yield
    settings.BENCH_STOCK_ADMIN = False
    reload_urls()


def test_not_routed_by_default():
    response = Client().get("/stock-admin/")

    assert response.status_code == 404


@pytest.mark.usefixtures("stock_admin_on")
def test_anonymous_users_are_sent_to_log_in():
    response = Client().get("/stock-admin/videos/video/")

    assert response.status_code == 302
    assert response["Location"].startswith("/stock-admin/login/")


@pytest.mark.usefixtures("stock_admin_on")
def test_users_who_are_not_staff_are_sent_to_log_in():
    client = Client()
    client.force_login(UserFactory(is_staff=False))

    response = client.get("/stock-admin/videos/video/")

    assert response.status_code == 302


@pytest.mark.usefixtures("stock_admin_on")
def test_staff_see_every_stock_list(admin_user):
    VideoFactory(title="Video ready", status=VideoStatus.READY)
    PendingReportFactory()
    client = Client()
    client.force_login(admin_user)

    for page in STOCK_PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
