from django.db import migrations


class Migration(migrations.Migration):
    """Teach the planner that a report without a verdict mostly does not need
    one: alone, the two columns make it expect tens of thousands of pending
    reports where there are hundreds, and it then scans and hashes whole tables
    for the review queue's filters instead of walking the queue's index."""

    dependencies = [
        ("safety", "0005_review_queue_proxy"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS IF NOT EXISTS safety_reports_review_stats (mcv) "
            "ON requires_human_review, review_status FROM safety_reports",
            "DROP STATISTICS IF EXISTS safety_reports_review_stats",
        ),
    ]
