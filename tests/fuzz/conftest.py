"""The users and clients every fuzz suite shares (how a case runs and is
counted: tests/fuzz/cases.py).

Hypothesis runs every example of a test inside one call of the test function,
so function-scoped fixtures (the database transaction, users, clients) are
made once for all examples. That is correct here because each example runs in
a savepoint of its own that `case` rolls back: rows an example makes or a
request writes never reach the next example, and the fixtures' rows are the
same for every example.
"""

import pytest

from tests.factories import UserFactory
from tests.helpers import logged_in


@pytest.fixture
def superuser(db):
    return UserFactory(username="fuzz-admin", is_superuser=True)


@pytest.fixture
def superuser_client(superuser):
    """The test client as the superuser: every page and button is open to them.
    Exceptions a view lets out are raised, so a 500 fails with its traceback."""
    return logged_in(superuser, raise_request_exception=True)
