"""Beat sends a stuck queued audit again (issue 17, point 3): when, how often, and not while it waits its turn. The
fault itself (Redis restarted without persistence, the message lost) is tests/hardening/test_faults.py's."""

from datetime import timedelta

from django.utils import timezone

import pytest
from django_celery_beat.models import PeriodicTask

from compliance.models import AuditRun
from compliance.services import audit_resend_stale

pytestmark = pytest.mark.django_db


def test_a_run_sent_recently_or_waiting_for_a_live_run_is_not_sent_again(monkeypatch):
    sent = []
    monkeypatch.setattr("compliance.tasks.run_audit.delay", lambda run_id: sent.append(run_id))
    now = timezone.now()
    old = now - timedelta(minutes=10)
    queued = AuditRun.objects.create(trigger="timesheet")
    AuditRun.objects.filter(pk=queued.pk).update(created_at=old, sent_at=now - timedelta(seconds=30))
    assert audit_resend_stale(now=now) == []  # sent 30 s ago
    AuditRun.objects.filter(pk=queued.pk).update(sent_at=old)
    live = AuditRun.objects.create(trigger="manual", status="running", heartbeat_at=now)
    assert audit_resend_stale(now=now) == []  # it waits its turn behind a live run
    AuditRun.objects.filter(pk=live.pk).update(status="finished")
    assert audit_resend_stale(now=now) == [queued.pk]
    assert audit_resend_stale(now=now) == []  # once per interval: the claim moved sent_at
    assert sent == [queued.pk]


def test_beat_sends_the_stale_queued_runs_every_minute():
    task = PeriodicTask.objects.get(task="compliance.tasks.resend_stale_audits")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 60, "seconds")


def test_the_resend_threshold_is_a_few_minutes(settings):
    assert settings.AUDIT_RESEND_AFTER_SECONDS == 180
