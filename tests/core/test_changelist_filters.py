"""Our changelists' filter sidebars (core.changelist_filters) are Django's,
filter for filter: the same titles, choices, selection and links, without a
template per filter."""

import pytest
from django.contrib.admin.templatetags.admin_list import admin_list_filter

from core import changelist_filters
from tests.core.test_changelist_rows import rows  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

LISTS = [
    "/admin/videos/video/",
    "/admin/videos/video/?status__exact=draft",  # a selected choice, "Clear all filters"
    "/admin/videos/task/?type__exact=publish",
    "/admin/safety/safetyreport/?requires_human_review__exact=1",
    "/admin/safety/reviewqueueitem/",
    "/admin/safety/reviewqueueitem/?held=mine&state=escalated&severity=high",
    "/admin/safety/decisionlog/",  # date filters: a template of their own
    "/admin/safety/qasample/",
    "/admin/safety/qalog/",
]


def filters_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.filter_specs, "the list should have filters to compare"
    return response, cl


@pytest.mark.parametrize("url", LISTS)
def test_filters_are_djangos_filters(client_for, admin_user, rows, url):  # noqa: F811
    _, cl = filters_of(client_for(admin_user), url)
    for spec in cl.filter_specs:
        assert changelist_filters.rendered_filter(cl, spec) == admin_list_filter(cl, spec)


@pytest.mark.parametrize("url", LISTS)
def test_the_page_shows_the_rendered_filters(client_for, admin_user, rows, url):  # noqa: F811
    response, cl = filters_of(client_for(admin_user), url)
    page = response.content.decode()
    assert '<nav id="changelist-filter"' in page
    for spec in cl.filter_specs:
        assert changelist_filters.rendered_filter(cl, spec) in page


def test_a_title_and_a_choice_are_escaped(client_for, admin_user, rows):  # noqa: F811
    # A persona's name is a choice of the review queue's persona filter.
    from tests.factories import PendingReportFactory

    PendingReportFactory(task__video__persona__name='<b>"Bold"</b>')
    _, cl = filters_of(client_for(admin_user), "/admin/safety/reviewqueueitem/")
    (persona,) = [spec for spec in cl.filter_specs if spec.title == "persona"]
    html = changelist_filters.rendered_filter(cl, persona)
    assert "&lt;b&gt;&quot;Bold&quot;&lt;/b&gt;" in html and "<b>" not in html
    assert html == admin_list_filter(cl, persona)


def test_choices_whose_values_need_encoding_are_djangos(client_for, admin_user, rows):  # noqa: F811
    # The query string is encoded once, a marker in the value's place: a value
    # with spaces, &, = and non-ASCII text, with other parameters before and
    # after its own (they are sorted: category, held, persona, severity), must
    # come out as Django encodes it.
    from urllib.parse import urlencode

    from tests.factories import PendingReportFactory

    odd = "self harm & more=ü/ß"
    report = PendingReportFactory(
        issues=[{"category": odd, "severity": "high"}], task__video__persona__name="Zoë & co"
    )
    persona = report.task.video.persona
    query = urlencode({"category": odd, "held": "mine", "persona": persona.pk, "severity": "low"})
    for url in ("/admin/safety/reviewqueueitem/", f"/admin/safety/reviewqueueitem/?{query}"):
        _, cl = filters_of(client_for(admin_user), url)
        specs = {spec.title: spec for spec in cl.filter_specs}
        for title in ("issue category", "persona", "worst severity"):
            spec = specs[title]
            assert list(changelist_filters.simple_choices(cl, spec)) == list(spec.choices(cl))
            assert changelist_filters.rendered_filter(cl, spec) == admin_list_filter(cl, spec)
        assert odd in [value for value, _ in specs["issue category"].lookup_choices]
