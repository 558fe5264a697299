"""The bench's cold pages: an admin page served with the process cache emptied first."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COLD_GALLERY = "/bench/cold/admin/videos/artifact/gallery/"


@pytest.fixture(autouse=True)
def bench_urls(settings):
    # What settings choose when BENCH_STOCK_ADMIN is set.
    settings.BENCH_STOCK_ADMIN = True
    settings.ROOT_URLCONF = "bench.urls"


def test_a_cold_page_is_the_admin_page_served_with_the_cache_emptied(admin_user):
    client = Client()
    client.force_login(admin_user)
    cache.set("s3:info:something", "what S3 said")

    response = client.get(COLD_GALLERY)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/videos/artifact/gallery.html"
    assert cache.get("s3:info:something") is None


def test_only_staff_may_empty_the_cache():
    cache.set("s3:info:something", "what S3 said")
    client = Client()
    client.force_login(UserFactory(is_staff=False))

    assert client.get(COLD_GALLERY).status_code == 403
    assert Client().get(COLD_GALLERY).status_code == 403
    assert cache.get("s3:info:something") == "what S3 said"


def test_not_routed_without_the_bench_flag(settings, admin_user):
    settings.ROOT_URLCONF = "contentops.urls"
    client = Client()
    client.force_login(admin_user)

    assert client.get(COLD_GALLERY).status_code == 404
