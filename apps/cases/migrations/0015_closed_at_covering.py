# The cases closed in a range are read for cycle times, outcomes and returns on every dashboard:
# the index of their closing moment now covers what those reads need (index-only on PostgreSQL).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_attachment_taken_by_system'),
        ('definitions', '0002_change_control'),
        ('viewflow', '0015_task_scheduled'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_closed_at',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['closed_at'], include=('process_ptr', 'workflow_key', 'version_number', 'is_test', 'outcome', 'cycle_hours', 'cycle_business_hours', 'returned_count'), name='case_closed_at'),
        ),
    ]
