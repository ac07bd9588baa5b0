"""Beat refreshes the dashboards' summaries every hour at :20 (what changed), and rebuilds them whole at 03:20 each
night (after the 02:00 audit): the nightly rebuild is the safety net for changes no watermark sees."""

from django.db import migrations

SCHEDULES = [
    ("Refresh dashboard summaries", "20", "*", "{}"),
    ("Rebuild dashboard summaries", "20", "3", '{"full": true}'),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, minute, hour, kwargs in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London"
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": "dashboards.tasks.refresh_summaries",
                "crontab": crontab,
                "kwargs": kwargs,
                "enabled": True,
            },
        )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
