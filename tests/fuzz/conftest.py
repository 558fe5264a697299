"""What every fuzz suite shares: hypothesis settings that make CI reproducible,
users and clients, and `send`, which sends one generated request as one case.

Hypothesis runs every example of a test inside one call of the test function,
so function-scoped fixtures (the database transaction, users, clients) are
made once for all examples. That is correct here because each example runs in
a savepoint of its own that `case` rolls back: rows an example makes or a
request writes never reach the next example, and the fixtures' rows are the
same for every example.
"""

from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, settings

from tests.factories import UserFactory
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


@pytest.fixture
def superuser(db):
    return UserFactory(username="fuzz-admin", is_superuser=True)


@pytest.fixture
def browser(superuser):
    """The test client as the superuser: every page and button is open to them.
    Exceptions a view lets out are raised, so a 500 fails with its traceback."""
    client = Client(raise_request_exception=True)
    client.force_login(superuser)
    return client


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


def rows(model, **filters) -> list[dict]:
    """The rows as stored, for comparing before and after a refused request."""
    return list(model._base_manager.filter(**filters).order_by("pk").values())


def table(model) -> dict[str, dict]:
    """Every row of the model by its key as text, as stored."""
    names = [field.attname for field in model._meta.concrete_fields]
    return {str(row["pk"]): row for row in model._base_manager.values("pk", *names)}
