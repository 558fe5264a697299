import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from contentops.roles import EDITORS, LEADS, MODERATORS, ROLES, STAFF_VIEWERS
from tests.factories import UserFactory
from tests.helpers import server_settings
from tests.s3_proxy import S3Proxy


@pytest.fixture(autouse=True)
def plain_http(settings):
    """Tests talk plain HTTP to the test client and live_server; production
    settings (DEBUG off) would redirect to HTTPS and keep cookies HTTPS-only."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Production serves hashed files after collectstatic; tests serve the sources.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Users are made per test; a deliberately slow password hasher only slows the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def two_factor_optional(settings):
    """With DEBUG off, as here, every staff user must pass a second factor; tests
    not about it sign in with a password alone. Tests about it ask for
    `two_factor_required`."""
    settings.TWO_FACTOR_REQUIRED = False


@pytest.fixture
def two_factor_required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture(autouse=True)
def fresh_cache():
    """The process cache holds what S3 said about objects and the review queue's
    filter choices; each test starts from S3 and the database themselves."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", groups=[MODERATORS])


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", groups=[LEADS])


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", groups=[EDITORS])


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", groups=[STAFF_VIEWERS])


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def roles(db):
    """The role groups of contentops.roles. A data migration makes them, and the
    flush after every transactional test deletes them, so make them again."""
    from django.contrib.auth.models import Permission

    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in (code.split(".") for code in codes)
        )


@pytest.fixture
def roles_exist(db):
    assert Group.objects.filter(name__in=ROLES).count() == len(ROLES)


@pytest.fixture
def storage_options(settings):
    """`storage_options(alias, **options)`: change OPTIONS of one of the STORAGES."""

    def change(alias: str, **options) -> None:
        stores = dict(settings.STORAGES)
        stores[alias] = {**stores[alias], "OPTIONS": {**stores[alias]["OPTIONS"], **options}}
        settings.STORAGES = stores

    return change


@pytest.fixture
def s3_proxy(settings, storage_options):
    """`s3_proxy(hold={"HEAD": N})`: the app's S3 requests go through a proxy in
    front of the test S3 that holds each HEAD until N are in flight (tests/s3_proxy.py)."""
    proxies = []
    direct = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]

    def start(**options) -> S3Proxy:
        proxy = S3Proxy(direct, **options)
        proxies.append(proxy.__enter__())
        storage_options("default", endpoint_url=proxy.url)
        # Long enough that a request held by the proxy is never given up on.
        settings.S3_BATCH_SECONDS = 60
        return proxy

    yield start
    # Back to S3 itself before the proxy goes: fixtures set up earlier (s3_media)
    # delete their objects after this one is torn down.
    storage_options("default", endpoint_url=direct)
    for proxy in proxies:
        proxy.__exit__(None, None, None)


@pytest.fixture
def connect_to():
    """psycopg connections (autocommit) to a named database on the test server,
    closed at the end of the test."""
    import psycopg

    opened = []

    def connect(name):
        raw = psycopg.connect(dbname=name, autocommit=True, **server_settings())
        opened.append(raw)
        return raw

    yield connect
    for raw in opened:
        raw.close()


@pytest.fixture
def pipeline_db(transactional_db, connect_to):
    """Open connections to the test database as a pipeline service would:
    autocommit, plain SQL, no Django."""
    from django.db import connection

    return lambda: connect_to(connection.settings_dict["NAME"])


@pytest.fixture
def s3_media():
    """`s3_media(name, content) -> s3_path`: put a file in the configured bucket
    (the S3_* variables: a real S3), under a key of its own; deleted afterwards.

    `fixed=True` keeps the key `tests/<name>`, for pages a screenshot shows;
    an object an earlier run left there is replaced."""
    import uuid

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    keys = []

    def upload(name: str, content: bytes, *, fixed: bool = False) -> str:
        wanted = f"tests/{name}" if fixed else f"tests/{uuid.uuid4().hex}/{name}"
        if fixed:
            default_storage.delete(wanted)
        key = default_storage.save(wanted, ContentFile(content))
        assert key == wanted, f"S3 stored {wanted} as {key}"
        keys.append(key)
        return f"s3://{default_storage.bucket_name}/{key}"

    yield upload
    for key in keys:
        default_storage.delete(key)


def pytest_sessionfinish(session, exitstatus):
    """After a run that included every reliability suite, docs/reliability.md states it."""
    from tests import reliability

    if exitstatus == 0:
        reliability.write_document()
