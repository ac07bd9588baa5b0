import logging

from celery import shared_task

from compliance.models import AuditRun

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
        from compliance.signals import audit_finished

        # Whoever reads the judged lines catches up (the dashboards' summaries). The audit stands whatever happens
        # there (it is finished and recorded); beat's hourly refresh catches up.
        for receiver, outcome in audit_finished.send_robust(sender=AuditRun, run=finished):
            if isinstance(outcome, Exception):
                logger.error("After audit run %s, %s failed", run_id, receiver.__qualname__, exc_info=outcome)


@shared_task
def nightly_audit() -> None:
    """Beat's nightly full audit: everything not yet judged, whatever queued it."""
    from compliance.services import audit_request

    audit_request(trigger="nightly")


@shared_task
def resend_stale_audits() -> list[int]:
    """Beat's every-minute check: a queued audit whose message the broker lost is sent again (compliance.services)."""
    from compliance.services import audit_resend_stale

    return audit_resend_stale()


@shared_task
def lapse_corrective_actions() -> int:
    """Beat's daily pass: agreements with a remedial action past its due date and not done lapse (idempotent)."""
    from django.utils import timezone

    import pghistory

    from compliance.corrective_actions import corrective_actions_lapse

    with pghistory.context(task="lapse_corrective_actions"):
        return len(corrective_actions_lapse(today=timezone.localdate()))
