"""Joins two migrations made side by side: the event tables' time index and the
publish wake-up trigger touch different tables and run in either order."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0006_history_event_time"),
        ("publishing", "0006_publish_wakeups"),
    ]

    operations = []
