"""Admin pages as a process with nothing cached serves them.

What S3 said of each object is cached per process (CACHES: local memory), so a
page requested again and again measures the cache; a person opening a gallery
page nobody opened lately meets S3. `/bench/cold/admin/<path>` empties this
process's cache, then serves the admin page at `/admin/<path>` in the same
request: its Server-Timing covers both (emptying a local-memory cache takes
microseconds). Routed only with BENCH_STOCK_ADMIN (bench.urls), for staff.
"""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import path, resolve


def cold_page(request, rest):
    if not request.user.is_staff:
        raise PermissionDenied
    cache.clear()
    match = resolve(f"/admin/{rest}")
    return match.func(request, *match.args, **match.kwargs)


urlpatterns = [path("bench/cold/admin/<path:rest>", cold_page)]
