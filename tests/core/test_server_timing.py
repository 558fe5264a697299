"""SERVER_TIMING=1 adds a Server-Timing header with the request's SQL queries."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import VideoFactory

TIMING = re.compile(r'^app;dur=([\d.]+), db;dur=([\d.]+);desc="(\d+) quer(?:y|ies)"$')

pytestmark = pytest.mark.django_db


def test_the_header_counts_the_queries_of_the_request(settings, admin_user):
    settings.SERVER_TIMING = True
    VideoFactory.create_batch(3)
    client = Client()  # loads the middleware with the setting on
    client.force_login(admin_user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/videos/video/")

    assert response.status_code == 200
    app, db, count = TIMING.match(response["Server-Timing"]).groups()
    assert int(count) == len(queries) > 0
    assert 0 < float(db) <= float(app)


def test_a_request_without_queries_says_so(settings):
    settings.SERVER_TIMING = True

    response = Client().get("/admin/login/")

    assert response["Server-Timing"].endswith('db;dur=0.0;desc="0 queries"')


def test_no_header_when_off(settings, admin_user):
    settings.SERVER_TIMING = False
    client = Client()
    client.force_login(admin_user)

    response = client.get("/admin/videos/video/")

    assert response.status_code == 200
    assert "Server-Timing" not in response
