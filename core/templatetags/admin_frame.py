from django import template

from core.admin_frame import KeptAppList, current_links

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_sidebar(context):
    """Django's admin/nav_sidebar.html, rendered once per kept app list
    (core.admin_frame) and set of links the page's path marks as current."""
    sidebar = context.template.engine.get_template("admin/nav_sidebar.html")
    apps = context.get("available_apps")
    if not isinstance(apps, KeptAppList):
        return sidebar.render(context)
    key = current_links(apps, context["request"].path)
    html = apps.sidebars.get(key)
    if html is None:
        html = apps.sidebars[key] = sidebar.render(context)
    return html
