import pytest

from tests.publishing.webhook_server import WebhookServer

ONCALL = ["oncall@example.com"]


@pytest.fixture
def alert_webhook(settings):
    """A real local HTTP server receiving the alert webhook, with a secret header."""
    server = WebhookServer().start()
    settings.MONITOR_WEBHOOK_URL = server.url
    settings.MONITOR_WEBHOOK_HEADERS = {"Authorization": "Bearer alert-secret"}
    settings.MONITOR_WEBHOOK_TIMEOUT = 2
    yield server
    server.stop()


@pytest.fixture
def alert_email(settings, mailoutbox):
    """Alerts mailed through Django's locmem backend (pytest-django's mailoutbox)."""
    settings.MONITOR_EMAIL_RECIPIENTS = ONCALL
    return mailoutbox


@pytest.fixture
def no_alerts(settings):
    """Neither way configured: incidents are recorded, nobody is told."""
    settings.MONITOR_WEBHOOK_URL = ""
    settings.MONITOR_EMAIL_RECIPIENTS = []


@pytest.fixture
def closed_webhook_url():
    """A webhook address nothing answers at, with secrets in its path and query."""
    from tests.helpers import closed_port

    return f"http://127.0.0.1:{closed_port()}/hook-secret?token=hook-secret"
