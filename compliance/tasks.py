from celery import shared_task


@shared_task(acks_late=True)  # the audit is idempotent, so a redelivered run after a crash is safe
def run_audit(run_id: int) -> None:
    from compliance.audit import audit_perform

    audit_perform(run_id=run_id)
