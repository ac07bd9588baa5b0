"""Writes for the compliance side: starting audits (the audit itself is compliance/audit.py)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kombu.exceptions import OperationalError as BrokerUnavailable

from compliance.models import AuditRun, Rejudge

logger = logging.getLogger(__name__)

# On a queued run whose task never reached the broker; whoever next requests an audit sends it again.
NOT_SENT = (
    "Not yet sent to a worker: the task broker did not answer. The next audit request (a submission, the nightly "
    "audit) sends it."
)


def audit_request(*, trigger: str, by=None) -> AuditRun:
    """Queue an audit of every line not yet judged, once the caller's transaction commits.

    A request while another audit is queued returns that one: it will judge these lines too. If that run's task
    never reached the broker (it was down), this request sends it again, as the nightly request always does: nothing
    submitted waits longer than the next request or the night, and the run judges every line past the audit's
    watermark whenever it runs.
    """
    queued = AuditRun.objects.filter(status=AuditRun.Status.QUEUED).order_by("id").first()
    if queued is not None:
        if queued.error == NOT_SENT:
            transaction.on_commit(lambda: _send_again(queued.pk))
        elif trigger == "nightly":
            # Once a day, whatever happened to its message (a web process killed between its commit and the send):
            # a run already taken by a worker ignores a second delivery.
            transaction.on_commit(lambda: _send(queued.pk))
        return queued
    run = AuditRun.objects.create(trigger=trigger, requested_by=by)
    transaction.on_commit(lambda: _send(run.pk))
    return run


def rejudge_request(work, *, by=None) -> Rejudge:
    """Ask the next audit to judge `work` (a `mou.signals.JudgedWork`) again, and queue that audit for after the
    caller's commit."""
    rejudge = Rejudge.objects.create(
        reason=work.reason[:300],
        lines_from=work.lines_from,
        lines_until=work.lines_until,
        placements_from=work.placements_from,
        placements_until=work.placements_until,
        placement_id=work.placement_id,
        agency_id=work.agency_id,
        worker_id=work.worker_id,
        requested_by=by,
    )
    audit_request(trigger="rejudge", by=by)
    return rejudge


def _send(run_id: int) -> None:
    """Hand the run to a worker. The caller's work is committed by now: a broker that does not answer must not turn
    it into an error page (or lose the audit), so the run is marked for sending again instead."""
    from compliance.tasks import run_audit

    try:
        run_audit.delay(run_id)
    except BrokerUnavailable as error:
        logger.warning("Audit run %s not sent to a worker (%s); the next audit request sends it.", run_id, error)
        AuditRun.objects.filter(pk=run_id, status=AuditRun.Status.QUEUED).update(error=NOT_SENT)
    else:
        AuditRun.objects.filter(pk=run_id, sent_at__isnull=True).update(sent_at=timezone.now())


def audit_resend_stale(*, now=None) -> list[int]:
    """Send again each queued run older than AUDIT_RESEND_AFTER_SECONDS and not sent within that time (beat, every
    minute); the ids sent.

    The broker took its message but lost it (Redis restarted without persistence): every later request returns
    the same queued run, and nothing would run it until the nightly audit. A run waiting behind a live one (its
    worker's heartbeat is recent) is not stuck and is left alone. A second delivery is harmless: the run's claim lets
    one worker take it.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUDIT_RESEND_AFTER_SECONDS)
    from compliance.audit import STALE_AFTER

    if AuditRun.objects.filter(status=AuditRun.Status.RUNNING, heartbeat_at__gte=now - STALE_AFTER).exists():
        return []
    stuck = Q(status=AuditRun.Status.QUEUED, created_at__lt=cutoff) & (Q(sent_at__isnull=True) | Q(sent_at__lt=cutoff))
    sent = []
    for run_id in AuditRun.objects.filter(stuck).order_by("id").values_list("id", flat=True):
        # Claimed by a conditional update on sent_at: of two beats (or a beat and a request) at once, one sends it,
        # and it is sent at most once per interval.
        if AuditRun.objects.filter(stuck, pk=run_id).update(sent_at=now, error=""):
            _send(run_id)
            sent.append(run_id)
    return sent


def _send_again(run_id: int) -> None:
    # Claimed by a conditional update so that, of many requests at once, one sends it (run_audit is idempotent
    # anyway: a second delivery finds the run taken and does nothing).
    if AuditRun.objects.filter(pk=run_id, status=AuditRun.Status.QUEUED, error=NOT_SENT).update(error=""):
        _send(run_id)
