"""Beat runs a full audit every night at 02:00 (django-celery-beat's database scheduler)."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London"
    )
    PeriodicTask.objects.update_or_create(
        name="Nightly audit", defaults={"task": "compliance.tasks.nightly_audit", "crontab": crontab, "enabled": True}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_audit_watermarks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
