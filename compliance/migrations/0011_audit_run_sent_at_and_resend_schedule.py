"""AuditRun.sent_at, and beat sends a stuck queued audit again every minute (django-celery-beat's database scheduler).

Existing queued runs keep sent_at null: beat treats them as never sent, so one older than AUDIT_RESEND_AFTER_SECONDS
is sent at the first beat (harmless if its message still exists: the claim lets one worker take it)."""

from django.db import migrations, models


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="Send stuck audits again",
        defaults={"task": "compliance.tasks.resend_stale_audits", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="Send stuck audits again").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0010_national_rules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditrun",
            name="sent_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When its task was last handed to the broker (beat sends a stuck one again)",
                null=True,
            ),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
