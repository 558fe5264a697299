from django.db import migrations

from contentops.roles import sync_roles

_VIEW_ALL = [
    "personas.view_persona",
    "videos.view_video",
    "videos.view_task",
    "videos.view_artifact",
    "safety.view_safetyreport",
    "publishing.view_publishreceipt",
]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("personas", "0002_history_indexes"),
        ("videos", "0002_history_vocabulary_indexes"),
        ("safety", "0002_history_score_range_indexes"),
        ("publishing", "0002_history_vocabulary_indexes"),
    ]

    operations = [
        sync_roles(
            {
                "Moderators": _VIEW_ALL + ["safety.change_safetyreport"],
                "Editors": _VIEW_ALL
                + ["videos.change_video", "videos.add_task", "publishing.add_publishreceipt"],
                "Staff viewers": _VIEW_ALL,
            }
        )
    ]
