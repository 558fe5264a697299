"""The one way to add a custom admin page: a view function listed on its ModelAdmin.

A page is `view(request, model_admin, **url_kwargs)`, declared as
`AdminPage(route, view, name)` in the ModelAdmin's `admin_pages` (with
`AdminPagesMixin`). Each is wrapped by the site's `admin_view` (login, CSRF,
no caching) and named `admin:<app>_<model>_<name>`, like Django's own pages.
An app above the model's may add a page to it with `add_pages` (the video
timeline reads safety and publishing, so the project adds it to VideoAdmin).
Pages render through `render_page`, whose context starts from `page_context`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.template.response import TemplateResponse
from django.urls import path


@dataclass(frozen=True)
class AdminPage:
    route: str
    view: Callable
    name: str


class AdminPagesMixin:
    """A ModelAdmin whose `admin_pages` are served before its own URLs."""

    admin_pages: tuple[AdminPage, ...] = ()

    def get_urls(self):
        return [*page_urls(self), *super().get_urls()]


def page_urls(model_admin) -> list:
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_"
    wrap = model_admin.admin_site.admin_view
    return [
        path(page.route, wrap(partial(page.view, model_admin=model_admin)), name=prefix + page.name)
        for page in model_admin.admin_pages
    ]


def add_pages(admin_class, *pages: AdminPage) -> None:
    """Adds pages to a ModelAdmin class from outside its app (before the URLs load)."""
    known = {page.name for page in admin_class.admin_pages}
    admin_class.admin_pages = (
        *admin_class.admin_pages,
        *(page for page in pages if page.name not in known),
    )


def page_context(request, model_admin, *, title, **extra) -> dict:
    """The context every custom admin page starts from: the site's, the model's, a title."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        **extra,
    }


def render_page(request, model_admin, template, *, title, status=200, **extra):
    # current_app: the page's URLs reverse on the site that serves it.
    request.current_app = model_admin.admin_site.name
    context = page_context(request, model_admin, title=title, **extra)
    return TemplateResponse(request, template, context, status=status)
