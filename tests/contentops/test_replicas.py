"""Which requests may read from the replica (the middleware's choices); the
reads themselves are proved on a real replica in tests/replica/."""

import time

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from contentops.replicas import (
    COOKIE,
    REPLICA_PAGES,
    ReplicaReadsMiddleware,
    keep_on_primary,
    may_read_replica,
    primary_until,
)


def request_for(method: str, path: str, **cookies: str):
    request = getattr(RequestFactory(), method.lower())(path)
    request.COOKIES.update(cookies)
    request.resolver_match = resolve(path)
    return request


def test_without_a_replica_the_middleware_removes_itself():
    with pytest.raises(MiddlewareNotUsed):
        ReplicaReadsMiddleware(lambda request: HttpResponse())


def test_every_listed_page_is_an_admin_url():
    from django.urls import reverse

    for name in REPLICA_PAGES:
        kwargs = {"object_id": "0"} if name.endswith(("_timeline", "_history")) else {}
        assert reverse(name, kwargs=kwargs)


def test_a_listed_page_read_by_get_may_use_the_replica():
    assert may_read_replica(request_for("GET", "/admin/videos/video/"))


def test_a_post_or_an_unlisted_page_may_not():
    assert not may_read_replica(request_for("POST", "/admin/videos/video/"))
    assert not may_read_replica(request_for("GET", "/admin/videos/video/0/change/"))


def test_whoever_wrote_lately_reads_the_primary():
    later = str(time.time() + 30)
    assert not may_read_replica(request_for("GET", "/admin/videos/video/", **{COOKIE: later}))
    earlier = str(time.time() - 1)
    assert may_read_replica(request_for("GET", "/admin/videos/video/", **{COOKIE: earlier}))


def test_a_malformed_cookie_is_ignored():
    assert primary_until(request_for("GET", "/admin/", **{COOKIE: "tomorrow"})) == 0.0


def test_a_write_keeps_the_person_on_the_primary_for_the_sticky_seconds(settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 45
    response = HttpResponse()
    keep_on_primary(response)
    cookie = response.cookies[COOKIE]
    assert cookie["max-age"] == 45 and cookie["httponly"]
    assert time.time() + 40 < float(cookie.value) <= time.time() + 46
