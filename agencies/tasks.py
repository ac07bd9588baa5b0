from celery import shared_task


# acks_late: the standing check is idempotent (it only touches agencies whose standing disagrees with their
# suspensions), so a run redelivered after its worker died is safe.
@shared_task(acks_late=True)
def end_temporary_suspensions() -> dict:
    """Beat's daily standing check: temporary suspensions whose end date has come end by themselves, suspensions
    imposed in advance take effect on their start date (agencies.services.agency_standing_sync)."""
    from django.utils import timezone

    from agencies.services import agency_standing_sync

    result = agency_standing_sync(today=timezone.localdate())
    return {"suspended": [a.pk for a in result.suspended], "approved": [a.pk for a in result.approved]}
