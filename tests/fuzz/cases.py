"""How a fuzz test runs its cases: hypothesis settings that make CI reproducible,
`case`, which rolls one generated case back and counts it, and `send`, which
sends one generated request and fails on a 500 or injected markup."""

from contextlib import contextmanager

from django.db import transaction
from hypothesis import HealthCheck, Phase, settings

from tests.fuzz.strategies import INJECTED
from tests.reliability import record


def fuzz(max_examples: int):
    """Hypothesis settings for a fuzz test: a fixed sequence of examples (so a
    CI failure is the one a developer sees), no example database, no deadline
    (pages hit Postgres and S3), and no shrinking: a failing request is shown as
    generated, since shrinking one through whole pages takes minutes."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@contextmanager
def case(part: str):
    """One generated case of `part`, rolled back afterwards, counted in the
    reliability figures; an exception out of it is counted as a 500."""
    record("fuzz", part, cases=1)
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    except AssertionError:
        raise
    except Exception:
        record("fuzz", part, errors_500=1)
        raise


def send(client, part: str, method: str, url: str, **kwargs):
    """The response to one request; a 500 fails here, and a 200 HTML page must
    not carry injected markup unescaped."""
    response = getattr(client, method)(url, **kwargs)
    if response.status_code == 500:
        record("fuzz", part, errors_500=1)
    assert response.status_code != 500, f"{method.upper()} {url!r} {kwargs!r} answered 500"
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        body = response.content.decode(errors="replace")
        for marker in INJECTED:
            assert marker not in body, f"{url!r} shows {marker!r} unescaped"
    return response
