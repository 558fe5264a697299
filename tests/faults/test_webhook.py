"""A webhook channel that hangs, redirects or answers garbage, under a real
publish worker: the worker lives on, nothing is published twice or through a
redirect, and no error staff can read holds the channel's URL or headers."""

import pytest

from tests import reliability
from tests.faults.services import Services
from tests.faults.stack import Browser, FaultyWebhook

TOKEN = "Bearer faults-secret-token"


@pytest.fixture(scope="module")
def webhook():
    server = FaultyWebhook()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def services(webhook):
    hook = {
        "adapter": "webhook",
        "label": "Hook",
        "url": webhook.url,
        "timeout": 1,
        "headers": {"Authorization": TOKEN},
    }
    made = Services(channels={"hook": hook})
    yield made
    made.remove()


@pytest.fixture(scope="module")
def browser(services):
    return Browser(services.app.serve()).login("faults")


@pytest.fixture(scope="module")
def worker(services):
    (worker,) = services.app.workers(1)
    return worker


def attempted(services, mode: str, webhook) -> tuple[str, str, str]:
    """Approve one video for the hook, make it due with the hook in `mode`,
    and wait for the first attempt's outcome (a final status, or the error a
    retry waits with): (receipt id, receipt status, the error)."""
    webhook.mode, webhook.followed = mode, 0
    (receipt,) = services.seed("approved(count=1, channel='hook')")
    services.postgres.query(
        "UPDATE tasks SET not_before = now() WHERE task_id = "
        "(SELECT task_id FROM publish_receipts WHERE publish_id = %s)",
        receipt,
    )
    ((status, error),) = services.postgres.ask_until(
        "SELECT r.status, coalesce(t.last_error, '') || ' ' || coalesce(r.error, '') "
        "FROM publish_receipts r JOIN tasks t USING (task_id) "
        "WHERE r.publish_id = %s AND t.attempts > 0 "
        "AND (r.status <> 'pending' OR t.last_error IS NOT NULL)",
        receipt,
        timeout=60,
        what=f"an attempt on a webhook that answers {mode}",
    )
    return receipt, status, error


def readable_by_staff(browser, receipt) -> str:
    status, _, body = browser.get(f"/admin/publishing/publishreceipt/{receipt}/change/")
    assert status == 200, status
    return body


# A timeout may pass (the receipt waits for a retry); a redirect or an answer
# that is not the channel's will not (the receipt fails at once).
OUTCOMES = {"hang": "pending", "redirect": "failed", "garbage": "failed"}


@pytest.mark.parametrize("mode", list(OUTCOMES))
def test_a_misbehaving_webhook_publishes_nothing_wrong_and_leaks_nothing(
    services, webhook, browser, worker, mode
):
    receipt, status, error = attempted(services, mode, webhook)
    page = readable_by_staff(browser, receipt)
    leaked = [secret for secret in (webhook.url, TOKEN) if secret in error or secret in page]
    reliability.record(
        "faults",
        f"webhook that answers {mode}",
        cases=1,
        duplicated_writes=int(webhook.followed > 0),
        note=f"the attempt failed ({status}); nothing published, no redirect followed, "
        "the URL and headers in no error",
    )
    assert status == OUTCOMES[mode], error
    assert error.strip(), "the attempt recorded no error"
    assert webhook.followed == 0, "the worker followed a redirect"
    assert not leaked, f"staff can read {leaked}"
    assert worker.poll() is None, "the worker died"


def test_a_publish_that_hung_goes_out_once_when_the_channel_answers(services, webhook, worker):
    receipt, status, _ = attempted(services, "hang", webhook)
    assert status == "pending", "a timeout is a temporary failure"
    webhook.mode = "ok"
    webhook.release.set()
    services.postgres.ask_until(
        "SELECT 1 FROM publish_receipts WHERE publish_id = %s AND status = 'published'",
        receipt,
        timeout=60,
        what="the publish once the channel answers",
    )
    reliability.record(
        "faults",
        "webhook that hangs, then answers",
        cases=1,
        duplicated_writes=max(webhook.published.get(receipt, 0) - 1, 0),
        lost_writes=int(webhook.published.get(receipt, 0) == 0),
        note="timed out (temporary), retried, published once when the channel answered",
    )
    assert webhook.published.get(receipt) == 1
    assert worker.poll() is None
