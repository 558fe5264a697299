import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Users are made per test; a deliberately slow hasher only slows the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
