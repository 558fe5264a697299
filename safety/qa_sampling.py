"""Which reports go to QA: an exact share of each stratum, not a coin's.

A stratum is (source, moderator, worst issue's category): a moderator's final
decisions, their bulk approvals, or the reports the pipeline cleared without a
human (no moderator). Each stratum keeps a counter; its k-th item is drawn when
floor(k·rate) > floor((k-1)·rate), so after n items exactly floor(n·rate) are
drawn, and a moderator deciding few reports of a rare category is checked at
the same rate as everyone else. The rates are settings (SAFETY_QA_*).
"""

import json
import math
from fractions import Fraction

from django.conf import settings
from django.core import checks
from django.db import connection, transaction

from safety.issues import parse_issues
from safety.models import (
    ActionKind,
    QAClearedReport,
    QASample,
    QASource,
    QAVerdict,
    ReviewAction,
    SafetyReport,
)

RATE_SETTINGS = {
    QASource.DECISION: "SAFETY_QA_SAMPLE_RATE",
    QASource.BULK: "SAFETY_QA_BULK_SAMPLE_RATE",
    QASource.PIPELINE: "SAFETY_QA_PIPELINE_SAMPLE_RATE",
}
VERDICT_OF = {ActionKind.APPROVE: QAVerdict.APPROVED, ActionKind.REJECT: QAVerdict.REJECTED}
# Outbox rows one sweep reads.
CLEARED_BATCH = 500


def rate(source: str) -> Fraction:
    # Through the decimal text, so 0.1 is exactly one in ten.
    return Fraction(str(getattr(settings, RATE_SETTINGS[source])))


def check_rates(app_configs=None, **kwargs) -> list[checks.Error]:
    """safety.E001: each QA rate is a share, between 0 and 1."""
    errors = []
    for name in RATE_SETTINGS.values():
        value = getattr(settings, name)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            errors.append(
                checks.Error(f"{name}={value!r} is not a share between 0 and 1.", id="safety.E001")
            )
    return errors


def primary_category(issues) -> str:
    """The stratum's category: the worst issue's, the first among equals; ""
    when the report lists no readable one."""
    lines = [line for line in parse_issues(issues) if not line.unreadable]
    if not lines:
        return ""
    worst = max(lines, key=lambda line: line.rank)
    return "" if "category" in worst.malformed else worst.category


def stratum_key(source: str, moderator_id, category: str) -> str:
    return json.dumps([source, moderator_id, category])


def draws(*, key: str, share: Fraction) -> bool:
    """Count one more item of the stratum; whether it is drawn. The upsert
    locks the stratum's row until commit, so concurrent counts never skip."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO safety_qa_strata (key, seen) VALUES (%s, 1) "
            "ON CONFLICT (key) DO UPDATE SET seen = safety_qa_strata.seen + 1 RETURNING seen",
            [key],
        )
        (seen,) = cursor.fetchone()
    return math.floor(seen * share) > math.floor((seen - 1) * share)


def sample_decision(*, action: ReviewAction, bulk: bool = False) -> QASample | None:
    """In a final decision's transaction: draw it for QA by its stratum."""
    if action.kind not in VERDICT_OF:
        return None
    source = QASource.BULK if bulk else QASource.DECISION
    report = action.report
    category = primary_category(report.issues)
    if not draws(key=stratum_key(source, action.actor_id, category), share=rate(source)):
        return None
    return QASample.objects.create(
        report=report,
        source=source,
        first_decision=action,
        first_verdict=VERDICT_OF[action.kind],
        moderator_id=action.actor_id,
        category=category,
    )


def sample_cleared_reports() -> int:
    """A sweep step: draw from the reports the pipeline cleared (the outbox its
    inserts fill), oldest first, and delete the outbox rows read. Returns how
    many were drawn. A report decided by a human since is passed over."""
    with transaction.atomic():
        rows = list(
            QAClearedReport.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "report_id")[:CLEARED_BATCH]
        )
        reports = SafetyReport.objects.filter(
            pk__in=[report_id for _, report_id in rows], review_status__isnull=True
        ).exclude(requires_human_review=True)
        issues = dict(reports.values_list("pk", "issues"))
        drawn = sum(
            _sample_cleared(report_id, issues[report_id])
            for _, report_id in rows
            if report_id in issues
        )
        QAClearedReport.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return drawn


def _sample_cleared(report_id, issues) -> bool:
    category = primary_category(issues)
    key = stratum_key(QASource.PIPELINE, None, category)
    if not draws(key=key, share=rate(QASource.PIPELINE)):
        return False
    _, created = QASample.objects.get_or_create(
        report_id=report_id,
        defaults={
            "source": QASource.PIPELINE,
            "first_verdict": QAVerdict.APPROVED,
            "category": category,
        },
    )
    return created
