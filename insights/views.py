"""The dashboard page and its CSV downloads."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from core.admin_pages import render_page
from core.inputs import InvalidInput, shown
from insights.dashboard import (
    DEFAULT_DAYS,
    PERIODS,
    current_period,
    parse_days,
    parse_section,
    visible_sections,
)

TEMPLATE = "admin/insights/dashboard.html"


def dashboard(request, model_admin):
    visible = visible_sections(request.user)
    if not visible:
        raise PermissionDenied
    try:
        days = parse_days(request.GET.get("days"))
        sections = parse_section(request.GET.get("section"), visible=visible)
    except InvalidInput as problem:
        return _refused(request, model_admin, problem.message, visible)
    period = current_period(days)
    blocks = [(section, section.charts(period)) for section in sections]
    if "csv" in request.GET:
        return _csv(request, model_admin, blocks, request.GET["csv"], days, visible)
    return _page(request, model_admin, visible, blocks=blocks, days=days)


def _csv(request, model_admin, blocks, chart_id: str, days: int, visible):
    for _, charts in blocks:
        for chart in charts:
            if chart.id == chart_id:
                response = HttpResponse(chart.csv(), content_type="text/csv; charset=utf-8")
                filename = f"{chart.id}-{days}-days.csv"
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
                return response
    message = f"There is no chart “{shown(chart_id)}” on this dashboard to download."
    return _refused(request, model_admin, message, visible)


def _refused(request, model_admin, message: str, visible):
    return _page(request, model_admin, visible, status=400, problem=message)


def _page(request, model_admin, visible, *, blocks=(), days=DEFAULT_DAYS, **extra):
    return render_page(
        request,
        model_admin,
        TEMPLATE,
        title="Dashboard",
        blocks=blocks,
        days=days,
        periods=PERIODS,
        visible=visible,
        # Links keep the section only when it is one this user may open.
        section=_known(request.GET.get("section"), visible),
        **{"problem": "", **extra},
    )


def _known(slug, visible) -> str:
    return slug if slug in {section.slug for section in visible} else ""
