"""The dashboard's quality section: agreement, kappa and overturns from QA."""

import pytest

from contentops.roles import MODERATORS
from safety import qa, services
from safety.models import QASample
from tests.factories import PendingReportFactory, UserFactory

URL = "/admin/insights/dashboard/"

pytestmark = pytest.mark.django_db


def charts(response) -> dict:
    return {chart.id: chart for _, cs in response.context["blocks"] for chart in cs}


def test_the_quality_section_shows_agreement_kappa_and_overturns(roles, lead, client_for, settings):
    settings.SAFETY_QA_SAMPLE_RATE = 1  # every final decision is second-reviewed
    first = UserFactory(username="ana", groups=[MODERATORS])
    second = UserFactory(username="ben", groups=[MODERATORS])
    for report in PendingReportFactory.create_batch(4):
        services.claim(report_id=report.pk, moderator=first)
        services.decide(
            report_id=report.pk, moderator=first, kind="reject",
            reason_code="violence", note="Seen in the render.",
        )  # fmt: skip
    samples = list(QASample.objects.order_by("pk"))
    assert len(samples) == 4
    for n, sample in enumerate(samples):
        qa.claim(sample_id=sample.pk, reviewer=second)
        agree = n > 0
        qa.review(
            sample_id=sample.pk, reviewer=second,
            kind="reject" if agree else "approve",
            reason_code="violence" if agree else "no_violation",
            note="Seen in the render." if agree else "",
        )  # fmt: skip
    qa.resolve(
        sample_id=samples[0].pk, lead=lead, kind="approve", reason_code="no_violation"
    )  # the lead sides with the second review: ana's rejection is overturned

    response = client_for(lead).get(URL, {"section": "quality"})

    assert response.status_code == 200
    found = charts(response)
    # 3 of 4 agreed; ana always rejected, so chance agreement is 3/4 too: kappa 0.
    assert found["qa-agreement-moderators"].rows() == [["ana (4)", 75.0, 0.0]]
    assert found["qa-overturns"].rows() == [["ana (4)", 25.0]]
    assert [row[1:] for row in found["qa-agreement-categories"].rows()] == [[75.0, 0.0]]
    # Four rejections in the calibration rollup, in the bar of their score.
    calibrated = found["score-calibration"]
    assert sum(calibrated.series[1][1]) == 4
    assert found["score-calibration"].note.startswith(("safe:", "unsafe:"))


def test_only_leads_see_the_quality_section(roles, client_for):
    moderator = UserFactory(groups=[MODERATORS])
    response = client_for(moderator).get(URL, {"section": "quality"})
    assert response.status_code == 400
    assert "You may not see the section “quality”." in response.content.decode()
