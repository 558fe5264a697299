"""The QA log and its CSV export: every second review's and lead's verdict,
with the decision it checked; any filter of the list narrows the export, which
streams like the decision log's; leads and superusers only."""

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages

from contentops.roles import MODERATORS
from safety import qa, services
from safety.calibration_models import QALog
from safety.models import ActionKind, QASample
from tests.factories import PendingReportFactory, UserFactory
from tests.helpers import attribute, html, select, select_one

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles", "warm_content_types", "warm_qa_log_type"),
]

LIST_URL = "/admin/safety/qalog/"
EXPORT_URL = "/admin/safety/qalog/export/"
HEADER = [
    "decided_at",
    "stage",
    "verdict",
    "report",
    "video",
    "category",
    "issues",
    "first_verdict",
    "first_moderator",
    "reason_code",
    "reason",
    "note",
    "reviewer",
    "sample_status",
]


@pytest.fixture
def warm_qa_log_type(db):
    """The QA log's content type read once, as a running process has it."""
    ContentType.objects.get_for_model(QALog, for_concrete_model=False)


def exported(response) -> list[dict]:
    assert response.status_code == 200, response
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def reject(report, who):
    services.claim(report_id=report.pk, moderator=who)
    return services.decide(
        report_id=report.pk, moderator=who, kind=ActionKind.REJECT,
        reason_code="violence", note="Seen in the render.",
    )  # fmt: skip


def second_review(sample, who, *, agree: bool, note: str = "Seen it too."):
    qa.claim(sample_id=sample.pk, reviewer=who)
    return qa.review(
        sample_id=sample.pk, reviewer=who,
        kind="reject" if agree else "approve",
        reason_code="violence" if agree else "no_violation",
        note=note if agree else "",
    )  # fmt: skip


@pytest.fixture
def verdicts(settings, lead):
    """ana's two rejections, both second-reviewed by ben: one agreed, one
    disputed and settled by the lead in ben's favour."""
    settings.SAFETY_QA_SAMPLE_RATE = 1
    ana = UserFactory(username="ana", groups=[MODERATORS])
    ben = UserFactory(username="ben", groups=[MODERATORS])
    reject(PendingReportFactory(category="spam", severity="high"), ana)
    reject(PendingReportFactory(category="violence"), ana)
    agreed, disputed = QASample.objects.order_by("pk")
    second_review(agreed, ben, agree=True, note="=cmd|' /C calc'!A0")
    second_review(disputed, ben, agree=False)
    qa.resolve(sample_id=disputed.pk, lead=lead, kind="approve", reason_code="no_violation")
    return {"agreed": agreed, "disputed": disputed, "ana": ana, "ben": ben}


def test_the_export_is_one_row_per_qa_verdict_with_the_decision_it_checked(
    client_for, lead, verdicts
):
    rows = exported(client_for(lead).get(EXPORT_URL))
    assert [(r["stage"], r["verdict"], r["reviewer"]) for r in rows] == [
        ("lead", "approve", "lead"),
        ("review", "approve", "ben"),
        ("review", "reject", "ben"),
    ]
    agreed = rows[2]
    assert agreed["report"] == str(verdicts["agreed"].report_id)
    assert (agreed["category"], agreed["issues"]) == ("spam", "spam (high)")
    assert (agreed["first_verdict"], agreed["first_moderator"]) == ("rejected", "ana")
    assert (agreed["reason_code"], agreed["reason"]) == ("violence", "Graphic violence")
    assert agreed["note"] == "'=cmd|' /C calc'!A0"  # no formula in a spreadsheet
    assert agreed["sample_status"] == "agreed"
    assert rows[0]["sample_status"] == "resolved"


def test_the_export_takes_the_lists_filters(client_for, lead, verdicts):
    client = client_for(lead)
    leads = exported(client.get(EXPORT_URL, {"stage": "lead"}))
    assert [r["report"] for r in leads] == [str(verdicts["disputed"].report_id)]
    by_ben = exported(client.get(EXPORT_URL, {"reviewer": str(verdicts["ben"].pk)}))
    assert len(by_ben) == 2
    found = exported(client.get(EXPORT_URL, {"q": str(verdicts["agreed"].report_id)}))
    assert [r["verdict"] for r in found] == ["reject"]


def test_the_list_offers_the_export_of_exactly_what_it_shows(client_for, lead, verdicts):
    page = html(client_for(lead).get(LIST_URL, {"verdict": "approve"}))
    assert attribute(select_one(page, "#export-link"), "href") == f"{EXPORT_URL}?verdict=approve"
    assert len(select(page, "#result_list tbody tr")) == 2


def test_an_export_with_a_filter_the_list_ignores_exports_nothing_and_says_why(
    client_for, lead, verdicts
):
    response = client_for(lead).get(EXPORT_URL, {"stage": "nope"}, follow=True)
    assert not response.streaming
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("Nothing was exported") for m in said), said
    assert any("Ignored the filter “stage”: “nope”" in m for m in said), said


@pytest.mark.parametrize("who", ["moderator", "editor", "viewer"])
def test_only_leads_and_superusers_read_or_export_the_qa_log(
    request, client_for, who, lead, admin_user
):
    client = client_for(request.getfixturevalue(who))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    for person in (lead, admin_user):
        client = client_for(person)
        assert client.get(LIST_URL).status_code == 200
        assert client.get(EXPORT_URL).status_code == 200


# Session, user with their permissions, the reviewer filter's people, the
# bounded count and the page of verdicts (sample, first moderator and reviewer joined).
LIST_QUERIES = 5


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_runs_the_same_queries_however_many_verdicts(
    client_for, lead, settings, count, django_assert_num_queries
):
    settings.SAFETY_QA_SAMPLE_RATE = 1
    ana = UserFactory(username="ana", groups=[MODERATORS])
    ben = UserFactory(username="ben", groups=[MODERATORS])
    for report in PendingReportFactory.create_batch(count):
        reject(report, ana)
    for sample in QASample.objects.all():
        second_review(sample, ben, agree=True)
    client = client_for(lead)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST_URL)
    assert len(select(html(response), "#result_list tbody tr")) == count


# Session, user with their permissions, the reviewer filter's people, then
# the verdicts, read through the cursor as the file streams.
EXPORT_QUERIES = 4


@pytest.mark.parametrize("count", [2, 12])
def test_the_export_runs_a_fixed_number_of_queries(
    client_for, lead, settings, count, django_assert_num_queries
):
    settings.SAFETY_QA_SAMPLE_RATE = 1
    ana = UserFactory(username="ana", groups=[MODERATORS])
    ben = UserFactory(username="ben", groups=[MODERATORS])
    for report in PendingReportFactory.create_batch(count):
        reject(report, ana)
    for sample in QASample.objects.all():
        second_review(sample, ben, agree=True)
    client = client_for(lead)
    with django_assert_num_queries(EXPORT_QUERIES):
        rows = exported(client.get(EXPORT_URL))
    assert len(rows) == count
