"""Reports the pipeline cleared, once QA settles them, count in the
calibration rollup as a human decision: under the second reviewer's verdict
when it agrees with the pipeline's clearance, else under the lead's. A
rejection there is a human rejecting what the score let through unasked."""

import importlib

from django.db import migrations

reversals = importlib.import_module("safety.migrations.0013_calibration_qa_reversals")

# One function for both kinds of sample, on every QA verdict: a decided one
# moves at a lead's reversal (0013); a pipeline-cleared one counts once, at
# its final verdict. Rows are locked in the decisions' trigger's order.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION safety_count_qa_reversal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sample safety_qa_samples%ROWTYPE;
    first safety_review_actions%ROWTYPE;
    report safety_reports%ROWTYPE;
BEGIN
    SELECT * INTO sample FROM safety_qa_samples WHERE id = NEW.sample_id;
    IF sample.first_decision_id IS NULL THEN
        -- Cleared by the pipeline: its final verdict is the lead's, or the
        -- second reviewer's when it agrees with the pipeline's.
        IF NEW.stage <> 'lead' AND NEW.kind <> (CASE sample.first_verdict
                WHEN 'approved' THEN 'approve' ELSE 'reject' END) THEN
            RETURN NULL;
        END IF;
        SELECT * INTO report FROM safety_reports WHERE report_id = sample.report_id;
        INSERT INTO safety_calibration_counts AS c (category, score_bin, verdict, decisions)
        SELECT category, safety_score_bin(report.score), NEW.kind, 1
        FROM (SELECT '' AS category
              UNION SELECT safety_issue_categories(report.issues)) AS categories
        ORDER BY category
        ON CONFLICT (category, score_bin, verdict) DO UPDATE SET decisions = c.decisions + 1;
        RETURN NULL;
    END IF;
    IF NEW.stage <> 'lead' THEN
        RETURN NULL;
    END IF;
    SELECT a.* INTO first FROM safety_review_actions a
    WHERE a.id = sample.first_decision_id AND a.kind IN ('approve', 'reject') AND a.kind <> NEW.kind;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO safety_calibration_counts AS c (category, score_bin, verdict, decisions)
    SELECT category, safety_score_bin(first.score_seen), moves.verdict, moves.delta
    FROM (SELECT '' AS category
          UNION
          SELECT safety_issue_categories(r.issues)
          FROM safety_reports r WHERE r.report_id = first.report_id) AS categories
    CROSS JOIN (VALUES (first.kind, -1), (NEW.kind, 1)) AS moves (verdict, delta)
    ORDER BY category, moves.verdict
    ON CONFLICT (category, score_bin, verdict)
        DO UPDATE SET decisions = c.decisions + EXCLUDED.decisions;
    RETURN NULL;
END
$$;
DROP TRIGGER safety_count_qa_reversal ON safety_qa_actions;
CREATE TRIGGER safety_count_qa_reversal AFTER INSERT ON safety_qa_actions
    FOR EACH ROW WHEN (NEW.kind IN ('approve', 'reject'))
    EXECUTE FUNCTION safety_count_qa_reversal();
ALTER TABLE safety_qa_actions ENABLE ALWAYS TRIGGER safety_count_qa_reversal;
"""


def counts_sql(sign: int) -> str:
    """The pipeline-cleared samples QA settled already, counted (sign 1) or
    taken out again (sign -1); the trigger's table lock holds new verdicts
    back until the migration commits."""
    return f"""
INSERT INTO safety_calibration_counts AS c (category, score_bin, verdict, decisions)
SELECT categories.category, safety_score_bin(r.score), q.kind, {sign} * count(*)
FROM safety_qa_actions q
JOIN safety_qa_samples s ON s.id = q.sample_id
JOIN safety_reports r ON r.report_id = s.report_id
CROSS JOIN LATERAL (SELECT '' AS category
                    UNION SELECT safety_issue_categories(r.issues)) AS categories
WHERE s.first_decision_id IS NULL AND q.kind IN ('approve', 'reject')
  AND (q.stage = 'lead'
       OR q.kind = CASE s.first_verdict WHEN 'approved' THEN 'approve' ELSE 'reject' END)
GROUP BY 1, 2, 3
ORDER BY 1, 3
ON CONFLICT (category, score_bin, verdict)
    DO UPDATE SET decisions = c.decisions + EXCLUDED.decisions;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0013_calibration_qa_reversals"),
    ]

    operations = [
        migrations.RunSQL(
            [TRIGGER_SQL, counts_sql(1)],
            [counts_sql(-1), reversals.REVERSE_SQL, reversals.TRIGGER_SQL],
        ),
    ]
