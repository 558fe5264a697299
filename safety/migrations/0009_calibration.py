"""The decision log (a read-only proxy of the review log with the leads'
permissions) and the calibration rollup, kept by a trigger on final decisions."""

from django.db import migrations, models


# A report's categories as safety.calibration.report_categories reads them
# with safety.issues' parser: each issue's category (cut at 100 characters),
# "unknown" for an issue that is not an object or whose category is missing,
# blank, "?" or not text, and one "(no issues)" for a report without issues.
CATEGORIES_SQL = """
CREATE OR REPLACE FUNCTION safety_issue_categories(issues jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT CASE
        WHEN jsonb_typeof(issue) = 'object'
            AND jsonb_typeof(issue -> 'category') = 'string'
            AND issue ->> 'category' NOT IN ('', '?')
        THEN left(issue ->> 'category', 100)
        ELSE 'unknown' END
    FROM jsonb_array_elements(CASE
        WHEN issues IS NULL OR jsonb_typeof(issues) = 'null' OR issues = '[]'::jsonb
            THEN '[{"category": "(no issues)"}]'::jsonb
        WHEN jsonb_typeof(issues) = 'array' THEN issues
        ELSE '[null]'::jsonb END) AS issue
$$;
"""

# safety.calibration.score_bin in SQL: the least k with score <= k/100 as
# doubles compare (the bulk limit's own comparison), -1 without a score.
SCORE_BIN_SQL = """
CREATE OR REPLACE FUNCTION safety_score_bin(score double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN s IS NULL THEN -1
        WHEN k > 0 AND s <= (k - 1)::double precision / 100 THEN k - 1
        WHEN k < 100 AND s > k::double precision / 100 THEN k + 1
        ELSE k END
    FROM (SELECT s, ceil(s * 100)::integer AS k
          FROM (SELECT CASE WHEN score IS NULL OR score = 'NaN'::double precision THEN NULL
                            ELSE least(greatest(score, 0), 1) END AS s) AS clamped) AS binned
$$;
"""

# Each final decision, however it is inserted, adds one to its bin overall
# and in each of its report's categories. ORDER BY: the overall row first,
# so two decisions sharing rows lock them in the same order (no deadlock).
# ENABLE ALWAYS: the scale seeder loads the log in replica mode, which skips
# ordinary triggers, and its decisions must be counted too.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION safety_count_final_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO safety_calibration_counts AS c (category, score_bin, verdict, decisions)
    SELECT category, safety_score_bin(NEW.score_seen), NEW.kind, 1
    FROM (SELECT '' AS category
          UNION
          SELECT safety_issue_categories(r.issues)
          FROM safety_reports r WHERE r.report_id = NEW.report_id) AS categories
    ORDER BY category
    ON CONFLICT (category, score_bin, verdict) DO UPDATE SET decisions = c.decisions + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER safety_count_final_decision AFTER INSERT ON safety_review_actions
    FOR EACH ROW WHEN (NEW.kind IN ('approve', 'reject'))
    EXECUTE FUNCTION safety_count_final_decision();
ALTER TABLE safety_review_actions ENABLE ALWAYS TRIGGER safety_count_final_decision;
"""

# The decisions already in the log. The trigger above exists by now and its
# table lock holds inserts back until this migration commits: each decision
# is counted once, here or by the trigger.
BACKFILL_SQL = """
INSERT INTO safety_calibration_counts (category, score_bin, verdict, decisions)
SELECT categories.category, safety_score_bin(a.score_seen), a.kind, count(*)
FROM safety_review_actions a
JOIN safety_reports r ON r.report_id = a.report_id
CROSS JOIN LATERAL (SELECT '' AS category
                    UNION SELECT safety_issue_categories(r.issues)) AS categories
WHERE a.kind IN ('approve', 'reject')
GROUP BY 1, 2, 3;
"""

# The decision log's list, newest first, without sorting the claims too.
LOG_INDEX_SQL = """
CREATE INDEX IF NOT EXISTS review_actions_decisions_idx ON safety_review_actions
    (created_at DESC, id DESC) WHERE kind IN ('approve', 'reject', 'escalate');
"""

REVERSE_SQL = """
DROP INDEX IF EXISTS review_actions_decisions_idx;
DROP TRIGGER IF EXISTS safety_count_final_decision ON safety_review_actions;
DROP FUNCTION IF EXISTS safety_count_final_decision();
DROP FUNCTION IF EXISTS safety_score_bin(double precision);
DROP FUNCTION IF EXISTS safety_issue_categories(jsonb);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0008_qa"),
    ]

    operations = [
        migrations.CreateModel(
            name="DecisionLog",
            fields=[],
            options={
                "verbose_name": "decision",
                "verbose_name_plural": "decision log",
                "permissions": [
                    ("export_decisionlog", "Can export the decision log as CSV"),
                    ("view_calibration", "Can see the calibration of the pipeline's score"),
                ],
                "proxy": True,
                "default_permissions": ("view",),
                "indexes": [],
                "constraints": [],
            },
            bases=("safety.reviewaction",),
        ),
        migrations.CreateModel(
            name="CalibrationCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("category", models.TextField()),
                ("score_bin", models.SmallIntegerField()),
                ("verdict", models.TextField()),
                ("decisions", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "safety_calibration_counts",
                "default_permissions": (),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("category", "score_bin", "verdict"), name="calibration_counts_key"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            CATEGORIES_SQL + SCORE_BIN_SQL + TRIGGER_SQL + BACKFILL_SQL + LOG_INDEX_SQL,
            reverse_sql=REVERSE_SQL,
        ),
    ]
