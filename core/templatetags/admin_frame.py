from django import template

from core.admin_frame import KeptAppList, current_links

register = template.Library()


def _kept(context, apps, template_name: str, **extra):
    """`template_name` rendered with `extra`, once per kept app list
    (core.admin_frame) and set of links the page's path marks as current."""
    chosen = context.template.engine.get_template(template_name)
    if not isinstance(apps, KeptAppList):
        with context.push(**extra):
            return chosen.render(context)
    key = (template_name, current_links(apps, context["request"].path))
    html = apps.rendered.get(key)
    if html is None:
        with context.push(**extra):
            html = apps.rendered[key] = chosen.render(context)
    return html


@register.simple_tag(takes_context=True)
def nav_sidebar(context):
    """Django's sidebar (admin/nav_sidebar.html)."""
    return _kept(context, context.get("available_apps"), "admin/nav_sidebar.html")


@register.simple_tag(takes_context=True)
def index_app_list(context):
    """The index's app list with its change links (Django's index.html)."""
    apps = context.get("app_list")
    return _kept(context, apps, "admin/app_list.html", app_list=apps, show_changelinks=True)
