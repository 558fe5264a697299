"""Configuration comes from the environment; production refuses unsafe setups."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "k7#Qe9!vT2@pL5$wZ8^rN3&yB6*hJ4(mX1)cF0_sD9-gU7+aE2=iO5"


def manage(*args, env):
    # A fresh process, as a deployment would start it: none of the test run's
    # own switches (DJANGO_ALLOW_ASYNC_UNSAFE would fail check --deploy).
    dropped = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = manage("check", env={})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_check_deploy_is_clean_in_production_mode():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "contentops.example.com"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_boolean_is_a_clear_error():
    result = manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_database_url_selects_the_database():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['HOST'], d['PORT'], d['NAME'])",
        env={"DEBUG": "1", "DATABASE_URL": "postgres://u:p@db.internal:6543/contentops_prod"},
    )
    assert result.stdout.split()[-3:] == ["db.internal", "6543", "contentops_prod"]


def test_s3_public_endpoint_is_where_browser_urls_point():
    show = (
        "from django.core.files.storage import storages;"
        "print(storages['default'].endpoint_url, storages['browser'].endpoint_url)"
    )
    env = {"DEBUG": "1", "S3_ENDPOINT_URL": "http://s3.internal:9000"}

    alone = manage("shell", "-c", show, env=env)
    public = manage(
        "shell", "-c", show, env={**env, "S3_PUBLIC_ENDPOINT_URL": "https://s3.example.com"}
    )

    assert alone.stdout.split()[-2:] == ["http://s3.internal:9000", "http://s3.internal:9000"]
    assert public.stdout.split()[-2:] == ["http://s3.internal:9000", "https://s3.example.com"]


def test_s3_checksum_settings_reach_the_client_and_refuse_unknown_values():
    show = (
        "from django.core.files.storage import default_storage as s;"
        "c = s.connection.meta.client.meta.config;"
        "print(c.request_checksum_calculation, c.response_checksum_validation)"
    )
    chosen = manage(
        "shell",
        "-c",
        show,
        env={
            "DEBUG": "1",
            "S3_REQUEST_CHECKSUM_CALCULATION": "when_supported",
            "S3_RESPONSE_CHECKSUM_VALIDATION": "WHEN_SUPPORTED",
        },
    )
    wrong = manage("check", env={"DEBUG": "1", "S3_REQUEST_CHECKSUM_CALCULATION": "always"})

    assert chosen.stdout.split()[-2:] == ["when_supported", "when_supported"]
    assert wrong.returncode != 0
    assert (
        "S3_REQUEST_CHECKSUM_CALCULATION='always' is not one of: when_required, when_supported"
        in wrong.stderr
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HISTORY_RETENTION_DAYS": "-1"}, "HISTORY_RETENTION_DAYS must be from 0"),
        ({"HISTORY_RETENTION_DAYS": "a year"}, "HISTORY_RETENTION_DAYS='a year' is not a whole"),
        ({"HISTORY_PRUNE_BATCH": "0"}, "HISTORY_PRUNE_BATCH must be from 1 to 100000"),
    ],
)
def test_history_retention_settings_out_of_range_are_refused(env, message):
    result = manage("check", env={"DEBUG": "1", **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_s3_concurrency_reaches_the_client_pool_and_bad_values_are_clear_errors():
    show = (
        "from django.core.files.storage import default_storage as s;"
        "print(s.connection.meta.client.meta.config.max_pool_connections)"
    )
    chosen = manage("shell", "-c", show, env={"DEBUG": "1", "S3_CONCURRENCY": "32"})
    assert chosen.stdout.split()[-1] == "32"

    for name, value, message in [
        ("S3_CONCURRENCY", "0", "S3_CONCURRENCY must be at least 1."),
        ("S3_CONCURRENCY", "many", "S3_CONCURRENCY='many' is not a whole number."),
        ("S3_BATCH_SECONDS", "0", "S3_BATCH_SECONDS must be above 0 and at most 3600."),
        ("S3_BATCH_SECONDS", "nan", "S3_BATCH_SECONDS must be above 0 and at most 3600."),
        ("S3_BATCH_SECONDS", "soon", "S3_BATCH_SECONDS='soon' is not a number."),
    ]:
        refused = manage("check", env={"DEBUG": "1", name: value})
        assert refused.returncode != 0, (name, value)
        assert message in refused.stderr, (name, value)
