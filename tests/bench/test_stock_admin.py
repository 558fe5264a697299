"""The benchmark's stock admin is routed only with BENCH_STOCK_ADMIN, and only for staff."""

import os
import subprocess
import sys

import pytest
from django.test import Client

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


@pytest.fixture
def stock_admin_on(settings):
    # What settings choose when BENCH_STOCK_ADMIN is set.
    settings.BENCH_STOCK_ADMIN = True
    settings.ROOT_URLCONF = "bench.urls"


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


SHOW_URLCONF = (
    "from django.conf import settings; import sys; "
    "print(settings.ROOT_URLCONF, 'bench' in sys.modules)"
)


def django_shell(command: str, **env) -> list[str]:
    """The last words `manage.py shell -c command` prints with `env` on top of ours."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", command],
        env={**os.environ, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def test_the_flag_makes_bench_the_url_conf_and_nothing_else_loads_it():
    assert django_shell(SHOW_URLCONF, BENCH_STOCK_ADMIN="1")[-2:] == ["bench.urls", "False"]
    assert django_shell(SHOW_URLCONF, BENCH_STOCK_ADMIN="0")[-2:] == ["contentops.urls", "False"]
