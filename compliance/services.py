"""Writes for the compliance side: starting audits (the audit itself is compliance/audit.py)."""

from django.db import transaction

from compliance.models import AuditRun


def audit_request(*, trigger: str, by=None) -> AuditRun:
    """Queue an audit of every line not yet judged, once the caller's transaction commits.

    A request while another audit is queued returns that one: it will judge these lines too.
    """
    queued = AuditRun.objects.filter(status=AuditRun.Status.QUEUED).order_by("id").first()
    if queued is not None:
        return queued
    run = AuditRun.objects.create(trigger=trigger, requested_by=by)

    from compliance.tasks import run_audit

    transaction.on_commit(lambda: run_audit.delay(run.pk))
    return run
