from django.db import migrations

from contentops.roles import grant_roles


class Migration(migrations.Migration):
    dependencies = [
        ("contentops", "0001_roles"),
        ("videos", "0003_gallery_indexes"),
    ]

    operations = [
        # Editors upload replacement files for artifacts.
        grant_roles({"Editors": ["videos.change_artifact"]}),
    ]
