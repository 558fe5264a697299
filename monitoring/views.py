"""/health/ for load balancers and /metrics for Prometheus: outside the admin,
no session login."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring import health, metrics


@never_cache
@require_safe
def health_view(request):
    """200 when every check passes, else 503; the body names each check's state."""
    checks = health.report()
    healthy = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if healthy else "failing", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_safe
def metrics_view(request):
    problem = metrics_access_problem(request)
    if problem is not None:
        status, text = problem
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def metrics_access_problem(request) -> tuple[int, str] | None:
    """(status, reason) when the request may not read the metrics, else None.

    With METRICS_TOKEN set, the request must carry it as a bearer token. Unset,
    the metrics are open with DEBUG (local development) and closed without:
    queue sizes and channel names are not for the internet."""
    token = settings.METRICS_TOKEN
    if not token:
        if settings.DEBUG:
            return None
        return 403, "Metrics are off: set METRICS_TOKEN to enable them.\n"
    sent = request.headers.get("Authorization", "")
    scheme, _, credentials = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    ):
        return 401, "A bearer token is required.\n"
    return None
