import pytest

from tests.faults.services import Services


@pytest.fixture(scope="module")
def services():
    made = Services()
    yield made
    made.remove()
