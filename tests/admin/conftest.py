import pytest


@pytest.fixture(autouse=True)
def admin_pages_render(settings):
    # Production settings redirect http to https and read a static manifest that
    # only `collectstatic` writes; the test client speaks http and has no manifest.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Users are made per test; a deliberately slow hasher only slows the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
