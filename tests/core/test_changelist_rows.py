"""Our changelists' rows (core.changelist_rows) are Django's rows, cell for
cell: the same values, classes, links and checkboxes, made from a plan worked
out once per page instead of per cell."""

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.templatetags import admin_list

from core import changelist_rows
from safety import services
from safety.models import ActionKind
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from videos.models import VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

LISTS = [
    "/admin/videos/video/",
    "/admin/videos/video/?status__exact=draft",  # links keep the list's filters
    "/admin/videos/task/",
    "/admin/videos/artifact/",
    "/admin/personas/persona/",
    "/admin/safety/safetyreport/",
    "/admin/safety/reviewqueueitem/",
    "/admin/safety/decisionlog/",
    "/admin/publishing/publishreceipt/",
    "/admin/publishing/readyvideo/",
    "/admin/axes/accessattempt/",  # an integer key
]


@pytest.fixture
def rows(admin_user, moderator):
    # Text a cell must escape, an empty foreign key, a choice, a boolean, a date.
    VideoFactory(title='<b>"Bold" & brave</b>', status=VideoStatus.DRAFT)
    VideoFactory(persona=None, title="   ", status=VideoStatus.READY)
    TaskFactory(video__title="Tasked")
    ArtifactFactory()
    SafetyReportFactory(requires_human_review=True)
    PublishReceiptFactory(remote_id="abc-123")
    PersonaFactory(name="Persona <i>")
    held = PendingReportFactory(score=0.7)
    services.claim(report_id=held.pk, moderator=moderator)
    decided = PendingReportFactory(score=0.2)
    services.decide(
        report_id=decided.pk,
        moderator=admin_user,
        kind=ActionKind.APPROVE,
        reason_code="no_violation",
        note="fine & <ok>",
    )
    AccessAttempt.objects.create(
        username="mallory", ip_address="10.0.0.1", user_agent="curl", failures_since_start=3
    )


def djangos_rows(cl) -> list[str]:
    return ["".join(row) for row in admin_list.result_list(cl)["results"]]


def our_rows(cl) -> list[str]:
    return ["".join(row) for row in changelist_rows.result_list(cl)["results"]]


@pytest.mark.parametrize("url", LISTS)
def test_rows_are_djangos_rows_cell_for_cell(client_for, admin_user, rows, url):
    response = client_for(admin_user).get(url)
    assert response.status_code == 200
    cl = response.context["cl"]
    assert changelist_rows.plannable(cl)
    assert cl.result_list, "the list should show rows to compare"
    assert our_rows(cl) == djangos_rows(cl)


@pytest.mark.parametrize("url", LISTS)
def test_the_page_shows_the_planned_rows(client_for, admin_user, rows, url):
    response = client_for(admin_user).get(url)
    page = response.content.decode()
    for row in our_rows(response.context["cl"]):
        assert f"<tr>{row}</tr>" in page


def test_the_table_body_is_the_planned_rows_in_order(client_for, admin_user, rows):
    response = client_for(admin_user).get("/admin/videos/video/")
    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    planned = [f"<tr>{row}</tr>" for row in our_rows(response.context["cl"])]
    assert len(planned) > 1
    assert body.split() == "\n".join(planned).split()


def test_a_list_it_does_not_plan_shows_djangos_rows(client_for, admin_user, rows):
    # A popup's rows answer the window that opened it: Django renders them.
    response = client_for(admin_user).get("/admin/personas/persona/?_popup=1")
    assert response.status_code == 200
    cl = response.context["cl"]
    assert not changelist_rows.plannable(cl)
    page = response.content.decode()
    assert djangos_rows(cl)
    for row in djangos_rows(cl):
        assert f"<tr>{row}</tr>" in page
