from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [("contentops", "0002_pipeline_records_read_only")]

    operations = [
        # Leads watch the team and decide what moderators cannot settle: all a
        # moderator may do, to start with.
        grant_roles(
            {
                "Leads": [
                    "personas.view_persona",
                    "videos.view_video",
                    "videos.view_task",
                    "videos.view_artifact",
                    "safety.view_safetyreport",
                    "publishing.view_publishreceipt",
                    "safety.review_safetyreport",
                    "safety.takeover_safetyreport",
                ]
            }
        )
    ]
