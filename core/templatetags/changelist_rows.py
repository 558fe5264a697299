"""`{% planned_result_list cl %}`: Django's `result_list` tag, with rows
rendered by core.changelist_rows; `{% planned_list_filter cl spec %}`: Django's
`admin_list_filter`, rendered by core.changelist_filters
(admin/core/change_list.html uses both)."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from core import changelist_filters, changelist_rows

register = template.Library()


@register.tag(name="planned_result_list")
def planned_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=changelist_rows.result_list,
        # admin/core/change_list_results.html: Django's, the rows in one piece.
        template_name="core/change_list_results.html",
        takes_context=False,
    )


@register.simple_tag
def planned_list_filter(cl, spec):
    return changelist_filters.rendered_filter(cl, spec)
