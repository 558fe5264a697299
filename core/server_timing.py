"""A `Server-Timing` header on every response, for measuring pages from outside.

On with SERVER_TIMING=1 (off by default): each response says how long the
app took, and how many SQL queries it ran in how long, e.g.

    Server-Timing: app;dur=12.3, db;dur=4.1;desc="7 queries"

Browsers show it in their developer tools; `make bench` reads it. Off, the
middleware removes itself at startup and costs nothing.
"""

import time
from contextlib import ExitStack

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections


class QueryTimer:
    """An execute wrapper (`connection.execute_wrapper`) that counts queries and their time."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


def header(app_seconds: float, queries: QueryTimer) -> str:
    noun = "query" if queries.count == 1 else "queries"
    return (
        f"app;dur={app_seconds * 1000:.1f}, "
        f'db;dur={queries.seconds * 1000:.1f};desc="{queries.count} {noun}"'
    )


class ServerTimingMiddleware:
    """Outermost but for the header and 503 middlewares, so `app` covers the rest."""

    def __init__(self, get_response):
        if not settings.SERVER_TIMING:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        queries = QueryTimer()
        start = time.perf_counter()
        # Every alias: a page reading from the replica counts those queries too.
        with ExitStack() as wrapped:
            for alias in connections:
                wrapped.enter_context(connections[alias].execute_wrapper(queries))
            response = self.get_response(request)
        response["Server-Timing"] = header(time.perf_counter() - start, queries)
        return response
