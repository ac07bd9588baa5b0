"""Beat runs the daily standing check just after midnight (django-celery-beat's database scheduler): temporary
suspensions end on their date and suspensions imposed in advance take effect, without anyone acting."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="1", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London"
    )
    PeriodicTask.objects.update_or_create(
        name="Daily standing check (suspensions start and end)",
        defaults={"task": "agencies.tasks.end_temporary_suspensions", "crontab": crontab, "enabled": True},
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="Daily standing check (suspensions start and end)").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0003_history_and_no_deletes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
