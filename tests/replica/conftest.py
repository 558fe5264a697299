import pytest

from tests.replica.servers import ReplicatedDatabase


@pytest.fixture(scope="module")
def replicated():
    made = ReplicatedDatabase()
    try:
        yield made
    finally:
        made.remove()
