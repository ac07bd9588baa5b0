import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# acks_late: the audit is idempotent, so a run redelivered after its worker died is safe (and is how it finishes).
@shared_task(bind=True, acks_late=True, max_retries=None)
def run_audit(self, run_id: int) -> None:
    from compliance.audit import AuditBusy, audit_perform

    try:
        finished = audit_perform(run_id=run_id)
    except AuditBusy as busy:
        # Another run is judging lines right now; this one follows once it is done.
        raise self.retry(countdown=15) from busy
    if finished is not None:
        from dashboards.summaries import summaries_refresh

        # The dashboards read pre-computed summaries: bring them up to the lines just judged. The audit stands
        # whatever happens there (it is finished and recorded); beat's hourly refresh catches up.
        try:
            summaries_refresh()
        except Exception:
            logger.exception("Dashboard summaries not refreshed after audit run %s", run_id)


@shared_task
def nightly_audit() -> None:
    """Beat's nightly full audit: everything not yet judged, whatever queued it."""
    from compliance.services import audit_request

    audit_request(trigger="nightly")


@shared_task
def lapse_corrective_actions() -> int:
    """Beat's daily pass: agreements with a remedial action past its due date and not done lapse (idempotent)."""
    from django.utils import timezone

    import pghistory

    from compliance.corrective_actions import corrective_actions_lapse

    with pghistory.context(task="lapse_corrective_actions"):
        return len(corrective_actions_lapse(today=timezone.localdate()))
