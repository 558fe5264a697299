"""`{% planned_result_list cl %}`: Django's `result_list` tag, with rows
rendered by core.changelist_rows (admin/core/change_list.html uses it)."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from core import changelist_rows

register = template.Library()


@register.tag(name="planned_result_list")
def planned_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=changelist_rows.result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
