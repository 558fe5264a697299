"""A lead's QA verdict that reverses a moderator's decision moves that
decision's count in the calibration rollup to the lead's verdict: calibration
counts what humans finally decided, and a reversal is the evidence it most
needs (an approval under the bulk limit that should have been a rejection)."""

from django.db import migrations

# Each reversal moves one decision: minus one under the moderator's verdict,
# plus one under the lead's, in the decision's score bin, overall and in each
# of its report's categories. ORDER BY category, verdict: the rows are locked
# in the order the decisions' trigger locks them (category; one verdict), so
# the two never deadlock.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION safety_count_qa_reversal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    first safety_review_actions%ROWTYPE;
BEGIN
    SELECT a.* INTO first
    FROM safety_qa_samples s JOIN safety_review_actions a ON a.id = s.first_decision_id
    WHERE s.id = NEW.sample_id AND a.kind IN ('approve', 'reject') AND a.kind <> NEW.kind;
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
CREATE TRIGGER safety_count_qa_reversal AFTER INSERT ON safety_qa_actions
    FOR EACH ROW WHEN (NEW.stage = 'lead' AND NEW.kind IN ('approve', 'reject'))
    EXECUTE FUNCTION safety_count_qa_reversal();
ALTER TABLE safety_qa_actions ENABLE ALWAYS TRIGGER safety_count_qa_reversal;
"""


def moves_sql(sign: int) -> str:
    """The reversals already made, moved (sign 1) or moved back (sign -1). The
    trigger exists by then and its table lock holds new verdicts back until
    the migration commits: each reversal is moved once, here or by it."""
    return f"""
INSERT INTO safety_calibration_counts AS c (category, score_bin, verdict, decisions)
SELECT categories.category, safety_score_bin(a.score_seen), moves.verdict,
       {sign} * sum(moves.delta)
FROM safety_qa_actions q
JOIN safety_qa_samples s ON s.id = q.sample_id
JOIN safety_review_actions a ON a.id = s.first_decision_id
JOIN safety_reports r ON r.report_id = a.report_id
CROSS JOIN LATERAL (SELECT '' AS category
                    UNION SELECT safety_issue_categories(r.issues)) AS categories
CROSS JOIN LATERAL (VALUES (a.kind, -1), (q.kind, 1)) AS moves (verdict, delta)
WHERE q.stage = 'lead' AND q.kind IN ('approve', 'reject')
  AND a.kind IN ('approve', 'reject') AND a.kind <> q.kind
GROUP BY 1, 2, 3
ORDER BY 1, 3
ON CONFLICT (category, score_bin, verdict)
    DO UPDATE SET decisions = c.decisions + EXCLUDED.decisions;
"""


REVERSE_SQL = """
DROP TRIGGER IF EXISTS safety_count_qa_reversal ON safety_qa_actions;
DROP FUNCTION IF EXISTS safety_count_qa_reversal();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0012_quiet_claims"),
    ]

    operations = [
        migrations.RunSQL(
            [TRIGGER_SQL, moves_sql(1)],
            [moves_sql(-1), REVERSE_SQL],
        ),
    ]
