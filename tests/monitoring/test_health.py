"""/health/: database, S3 and the newest worker heartbeat; 200 or 503 naming
the failing check, and nothing else about it."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from monitoring.heartbeat import beat
from monitoring.models import WorkerHeartbeat
from tests.helpers import closed_port

ALL_OK = {"database": "ok", "s3": "ok", "worker": "ok"}


def health(client):
    response = client.get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


@pytest.fixture
def worker_alive(db):
    beat()


@pytest.mark.django_db
def test_healthy_answers_200_without_a_login(client, worker_alive):
    assert health(client) == (200, {"status": "ok", "checks": ALL_OK})


@pytest.mark.django_db
def test_s3_unreachable_answers_503_naming_s3_only(client, worker_alive, storage_options):
    port = closed_port()
    storage_options("default", endpoint_url=f"http://127.0.0.1:{port}")

    response = client.get("/health/")

    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "failing",
        "checks": ALL_OK | {"s3": "failing"},
    }
    assert b"127.0.0.1" not in response.content and str(port).encode() not in response.content


@pytest.mark.django_db
def test_a_stale_heartbeat_answers_503_naming_the_worker(client, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS = 120
    WorkerHeartbeat.objects.create(name="gone:1", seen_at=timezone.now() - timedelta(seconds=150))

    assert health(client) == (503, {"status": "failing", "checks": ALL_OK | {"worker": "failing"}})


@pytest.mark.django_db
def test_a_heartbeat_within_the_limit_is_healthy(client, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS = 120
    WorkerHeartbeat.objects.create(name="gone:1", seen_at=timezone.now() - timedelta(seconds=150))
    WorkerHeartbeat.objects.create(name="busy:2", seen_at=timezone.now() - timedelta(seconds=90))

    assert health(client)[0] == 200


@pytest.mark.django_db
def test_no_worker_ever_answers_503(client):
    assert health(client) == (503, {"status": "failing", "checks": ALL_OK | {"worker": "failing"}})


@pytest.mark.django_db(transaction=True)
def test_database_unreachable_answers_503_naming_it_and_no_host(client):
    beat()
    settings_dict = connection.settings_dict
    real_port, dead_port = settings_dict["PORT"], str(closed_port())
    connection.close()
    settings_dict["PORT"] = dead_port
    try:
        response = client.get("/health/")
    finally:
        connection.close()
        settings_dict["PORT"] = real_port

    assert response.status_code == 503
    body = json.loads(response.content)
    # The heartbeat is in the database too: it cannot be read.
    assert body == {
        "status": "failing",
        "checks": {"database": "failing", "s3": "ok", "worker": "failing"},
    }
    assert settings_dict["HOST"].encode() not in response.content
    assert dead_port.encode() not in response.content
    assert health(client)[0] == 200  # back once the database is


@pytest.mark.django_db
def test_health_answers_get_and_head_only(client, worker_alive):
    assert client.head("/health/").status_code == 200
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
def test_health_is_served_over_plain_http_when_everything_else_redirects(
    client, settings, worker_alive
):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health/").status_code == 200
    assert client.get("/admin/").status_code == 301
