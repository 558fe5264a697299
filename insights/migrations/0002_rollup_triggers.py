from django.db import migrations


def install(apps, schema_editor):
    # The triggers as insights.rollups defines them now: a later change to a
    # rollup's keys comes with a migration that installs (and rebuilds) again.
    from insights import rollups

    with schema_editor.connection.cursor() as cursor:
        rollups.install(cursor)


def rebuild(apps, schema_editor):
    # Rows already in the sources (an adopted database) are counted once here;
    # from now on the triggers count every change.
    from insights import rollups

    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_rollups"),
        ("safety", "0007_clearance"),
        ("publishing", "0005_list_filter_indexes"),
        ("videos", "0006_list_filter_indexes"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
