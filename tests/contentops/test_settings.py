"""Configuration comes from the environment; production refuses unsafe setups."""

import os
import subprocess
import sys
from pathlib import Path

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
