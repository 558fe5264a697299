"""`{% keyed_url "admin:<app>_<model>_<page>" key %}`: `{% url %}` for a row's
page, reversed once per URL name (core.admin_links.keyed_url). A page of cards
links every card three or four times: reversing each link cost the artifact
gallery about a tenth of its time."""

from django import template

from core import admin_links

register = template.Library()


@register.simple_tag(takes_context=True)
def keyed_url(context, viewname: str, key) -> str:
    return admin_links.keyed_url(viewname, key, current_app=_current_app(context))


def _current_app(context) -> str | None:
    # As {% url %} chooses it: the request's app, else the namespace it was resolved in.
    request = context.get("request")
    current_app = getattr(request, "current_app", None)
    if current_app is None and getattr(request, "resolver_match", None) is not None:
        current_app = request.resolver_match.namespace
    return current_app
