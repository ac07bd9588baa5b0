"""A real Celery worker (on Redis under CI, on the filesystem transport otherwise) turns a submitted timesheet above
the cap into a breach case: submission → on_commit → broker → worker → audit → breach, nothing mocked."""

import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

import pytest

from compliance.models import AuditRun, Breach
from placements.timesheets import timesheet_submit
from tests.celery_queues import own_queue
from tests.factories import CapFactory, MouVersionFactory, PlacementFactory, role

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def test_database_url() -> str:
    """The URL of the database this test runs on, for the worker process."""
    db = connection.settings_dict
    host = db["HOST"] or db["OPTIONS"].get("host") or "localhost"
    if host.startswith("/"):  # the embedded server listens on a Unix socket
        return f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def audit_queue():
    """A queue of this test's own, so no other worker on the same broker (a developer's `make run`) takes its task."""
    with own_queue("test-audit") as queue:
        yield queue


@pytest.fixture
def worker(audit_queue, transactional_db, tmp_path):
    env = {**os.environ, "DATABASE_URL": test_database_url(), "DJANGO_SETTINGS_MODULE": "futuresocial.settings"}
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "futuresocial", "worker", "-Q", audit_queue, "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    yield process, log
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition, *, seconds, what, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"Timed out after {seconds} s waiting for {what}. Worker log:\n{log.read_text()[-3000:]}")


def test_a_timesheet_above_the_cap_becomes_a_breach_case_through_a_real_worker(worker):
    process, log = worker
    if os.environ.get("CI") == "true":
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must run the worker on the real Redis"
    version = MouVersionFactory(name="2018", effective_from=date(2018, 4, 1), status="in_force")
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="27.00", charge_rate="33.00")

    with transaction.atomic():
        timesheet_submit(
            placement=placement,
            week_ending=date(2019, 1, 13),
            lines=[
                {"date": date(2019, 1, 7), "hours": "7.50", "pay_rate": "27.00", "charge_rate": "33.00"},
                {"date": date(2019, 1, 8), "hours": "7.50", "pay_rate": "27.00", "charge_rate": "33.00"},
            ],
        )
        assert not AuditRun.objects.exclude(status="queued").exists()  # nothing runs before the commit

    wait_for(lambda: process.poll() is not None or Breach.objects.exists(), seconds=90, what="the breach", log=log)
    assert process.poll() is None, f"the worker exited:\n{log.read_text()[-3000:]}"
    wait_for(lambda: AuditRun.objects.filter(status="finished").exists(), seconds=30, what="the run to finish", log=log)
    breach = Breach.objects.get()
    assert (breach.rule, breach.placement_id, breach.lines_count, breach.excess_amount) == (
        "pay_rate_above_cap",
        placement.pk,
        2,
        Decimal("30.00"),  # £2.00/h over the £25.00 cap for 15 hours
    )
    run = AuditRun.objects.get()
    assert (run.trigger, run.status, run.lines_checked, run.breaches_found) == ("timesheet", "finished", 2, 1)
    assert "compliance.tasks.run_audit" in log.read_text()
