
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('safety', '0004_moderator_permissions'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewQueueItem',
            fields=[
            ],
            options={
                'verbose_name': 'review queue item',
                'verbose_name_plural': 'review queue',
                'proxy': True,
                'default_permissions': (),
                'indexes': [],
                'constraints': [],
            },
            bases=('safety.safetyreport',),
        ),
    ]
