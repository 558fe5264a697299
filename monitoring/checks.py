"""System checks of the alert settings: `manage.py check` (and every command,
the monitor's included) names a wrong one at startup, not at the first alert."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


def check_alert_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problems = []
    url = settings.MONITOR_WEBHOOK_URL
    if url and urlsplit(url).scheme not in ("http", "https"):
        # Never quote the URL: it may hold a secret.
        problems.append("MONITOR_WEBHOOK_URL must be an http:// or https:// address.")
    headers = settings.MONITOR_WEBHOOK_HEADERS
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        problems.append(
            'MONITOR_WEBHOOK_HEADERS must be a JSON object of strings: {"Name": "value"}.'
        )
    return [checks.Error(problem, id="monitoring.E001") for problem in problems]
