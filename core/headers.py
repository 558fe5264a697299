"""Response headers Django and django-csp do not send themselves.

`Permissions-Policy` (settings.PERMISSIONS_POLICY, feature -> allowlist)
refuses browser features no page of ours uses, so a script that got in
anyway could not reach the camera, microphone, location or payment APIs.
`Reporting-Endpoints` (settings.REPORTING_ENDPOINTS, name -> URL) names where
browsers post the reports a policy's `report-to` directive asks for.

Both are read once, at startup: they are the same for every response.
"""

from django.conf import settings


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in features.items())


def reporting_endpoints(endpoints: dict[str, str]) -> str:
    """`{"csp": "https://r.example/csp"}` -> `csp="https://r.example/csp"`."""
    return ", ".join(f'{name}="{url}"' for name, url in endpoints.items())


class SecurityHeadersMiddleware:
    """Adds the headers to every response that does not already carry them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = {
            "Permissions-Policy": permissions_policy(settings.PERMISSIONS_POLICY),
            "Reporting-Endpoints": reporting_endpoints(settings.REPORTING_ENDPOINTS),
        }

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            if value:
                response.headers.setdefault(name, value)
        return response
