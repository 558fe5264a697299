
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
                'verbose_name': 'report to review',
                'verbose_name_plural': 'reports to review',
                'proxy': True,
                'default_permissions': (),
                'indexes': [],
                'constraints': [],
            },
            bases=('safety.safetyreport',),
        ),
    ]
