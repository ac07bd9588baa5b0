"""Faults against the real services (SPEC §6: nothing accepted is ever lost; a crashed worker's job is finished by the
next one): a worker killed mid-audit, Redis stopped while an agency submits, the same week sent twice at once, the
database connection cut mid-upload. Nothing mocked but the moment of each fault."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

import psycopg
import pytest
from rest_framework.test import APIClient

from compliance.models import AuditRun, Breach, BreachLine
from compliance.services import NOT_SENT, audit_request
from placements.models import Timesheet, TimesheetLine
from placements.timesheets import Line, LineStaging, timesheets_store, week_ending_of
from tests.celery_queues import celery_broker, own_queue
from tests.compliance.test_worker import test_database_url
from tests.factories import CapFactory, MouVersionFactory, PlacementFactory, role
from tests.needs import missing

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PAY_CAP, CHARGE_CAP = Decimal("30.00"), Decimal("40.00")
MONDAY = date(2024, 1, 1)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


# --- Helpers ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def cap():
    version = MouVersionFactory(name="2018", effective_from=date(2018, 4, 1), status="in_force")
    return CapFactory(version=version, role=role("SW"), max_pay_rate=PAY_CAP, max_charge_rate=CHARGE_CAP)


def routed_to_own_queue():
    """run_audit (and the nightly task) on a queue of this test's own: no other worker on the broker takes them."""
    return own_queue("test-faults", tasks="compliance.tasks.*")


class Workers:
    """Real `celery worker` processes on this test's database; stopped (killed if need be) at the end."""

    def __init__(self, tmp_path):
        self.tmp_path, self.processes = tmp_path, []

    def start(self, *, queue, redis_url=None, **env_overrides):
        env = {**os.environ, "DATABASE_URL": test_database_url(), "DJANGO_SETTINGS_MODULE": "futuresocial.settings"}
        env.update({key: str(value) for key, value in env_overrides.items()})
        if redis_url or settings.REDIS_URL:
            env["REDIS_URL"] = redis_url or settings.REDIS_URL
        name = f"worker{len(self.processes) + 1}"
        log = self.tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "futuresocial", "worker", "-Q", queue, "--pool=solo"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
        command += ["-n", f"{name}@%h"]
        with open(log, "w") as out:
            process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        process.log = log
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def workers(tmp_path):
    workers = Workers(tmp_path)
    yield workers
    workers.stop_all()


def wait_for(condition, *, seconds, what, process=None, interval=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"The worker exited while waiting for {what}:\n{process.log.read_text()[-3000:]}")
        time.sleep(interval)
    log = process.log.read_text()[-3000:] if process is not None else ""
    pytest.fail(f"Timed out after {seconds} s waiting for {what}.\n{log}")


def lines_for(placements, days, rates):
    """Weekday lines for each placement from MONDAY, {(placement id, week ending): [Line]}; `rates(n, i)` gives the
    n-th day's (pay, charge) for the i-th placement."""
    weeks = defaultdict(list)
    for index, placement in enumerate(placements):
        for n in range(days):
            day = MONDAY + timedelta(weeks=n // 5, days=n % 5)
            hours = Decimal("7.50") if n % 2 else Decimal("7.25")
            pay, charge = rates(n, index)
            weeks[(placement.pk, week_ending_of(day))].append(Line(day, hours, pay, charge))
    return weeks


def expected_cases(weeks):
    """What an audit of these lines must find, worked out here: {(placement, rule): (lines, hours, excess)}."""
    cases = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for (placement_id, _week), lines in weeks.items():
        for line in lines:
            for rule, rate, cap in (
                ("pay_rate_above_cap", line.pay_rate, PAY_CAP),
                ("charge_rate_above_cap", line.charge_rate, CHARGE_CAP),
            ):
                if rate > cap:
                    case = cases[(placement_id, rule)]
                    case[0] += 1
                    case[1] += line.hours
                    # Each line's excess rounded to the penny as PostgreSQL's round() does: halves away from zero.
                    case[2] += ((rate - cap) * line.hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {key: tuple(value) for key, value in cases.items()}


def found_cases():
    return {
        (b.placement_id, b.rule): (b.lines_count, b.excess_hours, b.excess_amount)
        for b in Breach.objects.exclude(rule="manual")
    }


def assert_breach_lines_add_up():
    """Every case's totals are exactly the sum of its lines, and no line is in a case twice."""
    for breach in Breach.objects.annotate(n=Count("lines"), excess=Sum("lines__excess"), hours=Sum("lines__hours")):
        assert (breach.n, breach.excess, breach.hours) == (
            breach.lines_count,
            breach.excess_amount,
            breach.excess_hours,
        )
    pairs = BreachLine.objects.values_list("breach_id", "line_id")
    assert len(set(pairs)) == pairs.count()


# --- a. A worker killed in the middle of a full audit -----------------------------------------------------------------

PLACEMENTS, DAYS, CHUNK = 40, 250, 50  # 10,000 lines judged in 200 chunks


def test_a_worker_killed_mid_audit_is_finished_by_the_next_run_with_exactly_the_same_totals(cap, agency_a, workers):
    placements = [PlacementFactory(agency=agency_a, start_date=MONDAY) for _ in range(PLACEMENTS)]

    def rates(n, index):  # some lines over one cap, some over both, most within
        return Decimal("29.00") + Decimal("0.75") * ((n + index) % 5), Decimal("39.50") + Decimal("0.50") * (n * 3 % 4)

    weeks = lines_for(placements, DAYS, rates)
    expected = expected_cases(weeks)
    with routed_to_own_queue() as queue:
        timesheets_store(weeks=weeks)  # commits, and queues the full audit on commit
        first = AuditRun.objects.get()
        worker = workers.start(queue=queue, AUDIT_CHUNK_LINES=CHUNK, AUDIT_STALE_AFTER_SECONDS=2)

        def a_quarter_judged():
            run = AuditRun.objects.get(pk=first.pk)
            return run.status == "running" and run.lines_checked >= PLACEMENTS * DAYS // 4

        wait_for(a_quarter_judged, seconds=120, what="the audit to be a quarter done", process=worker, interval=0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

        first.refresh_from_db()
        assert first.status == "running"  # as the dead worker left it
        assert PLACEMENTS * DAYS // 4 <= first.lines_checked < PLACEMENTS * DAYS, "killed too late to prove anything"
        judged_at_kill, lines_in_cases_at_kill = first.lines_checked, BreachLine.objects.count()

        time.sleep(2.5)  # the dead run's heartbeat goes stale
        second_worker = workers.start(queue=queue, AUDIT_CHUNK_LINES=CHUNK, AUDIT_STALE_AFTER_SECONDS=2)
        with transaction.atomic():
            second = audit_request(trigger="manual")  # as the nightly audit or a coordinator would
        assert second.pk != first.pk
        wait_for(
            lambda: AuditRun.objects.filter(pk=second.pk, status="finished").exists(),
            seconds=180,
            what="the next run to finish",
            process=second_worker,
        )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "failed" and f"its work was finished by run {second.pk}" in first.error
    assert second.from_line_id == first.checked_line_id  # carried on from the dead run's last committed chunk
    # Every line judged exactly once across the two runs; every case counted once.
    assert first.lines_checked + second.lines_checked == PLACEMENTS * DAYS == TimesheetLine.objects.count()
    assert first.breaches_found + second.breaches_found == Breach.objects.count()
    # Exactly what an uninterrupted audit of these lines finds, worked out line by line.
    assert found_cases() == expected
    assert BreachLine.objects.count() == sum(lines for lines, _hours, _excess in expected.values())
    assert_breach_lines_add_up()
    print(
        f"\nFAULT a: killed at {judged_at_kill:,} of {PLACEMENTS * DAYS:,} lines ({lines_in_cases_at_kill:,} offending "
        f"lines in cases); run {second.pk} finished the rest: {len(expected)} cases, "
        f"£{sum(e for _l, _h, e in expected.values())} excess, as expected"
    )


# --- b. Redis stopped while an agency submits -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own (the machine's is shared): stopped and started again at will."""

    def __init__(self, tmp_path):
        self.port, self.dir, self.process = free_port(), tmp_path, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command + ["--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        wait_for(self.answers, seconds=10, what="redis-server to start")

    def stop(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        assert not self.answers()

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed (the Redis-stopped fault test runs a private one)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_with_redis_stopped_a_submission_is_stored_and_audited_once_redis_is_back(
    cap, agency_a, agency_user, private_redis, workers, client, settings
):
    # All of Redis goes: the Celery broker and the cache the API's throttles count in.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": private_redis.url}
    }
    placement = PlacementFactory(agency=agency_a, start_date=MONDAY, pay_rate="32.00", charge_rate="40.00")
    week = [{"date": str(MONDAY + timedelta(days=n)), "hours": "7.50", "pay_rate": "32.00", "charge_rate": "40.00"}
            for n in range(5)]  # fmt: skip
    with celery_broker(private_redis.url):
        private_redis.stop()

        api = APIClient()
        api.force_authenticate(agency_user)
        started = time.monotonic()
        response = api.post(
            "/api/v1/timesheets/",
            {"placement": placement.pk, "week_ending": str(MONDAY + timedelta(days=6)), "lines": week},
            format="json",
        )
        api_seconds = time.monotonic() - started
        assert response.status_code == 201, response.content

        # The portal's upload page too, for the next week.
        client.force_login(agency_user)
        rows = [f"{placement.pk},{MONDAY + timedelta(days=7 + n)},7.50,32.00,40.00" for n in range(5)]
        csv = ("placement,date,hours,pay_rate,charge_rate\r\n" + "\r\n".join(rows) + "\r\n").encode()
        from django.core.files.uploadedfile import SimpleUploadedFile

        page = client.post("/timesheets/upload/", {"file": SimpleUploadedFile("week2.csv", csv)})
        assert page.status_code == 200
        assert "The file was stored" in page.content.decode()

        assert TimesheetLine.objects.filter(superseded_at=None).count() == 10  # both stored
        run = AuditRun.objects.get()  # one run waits for both; it never reached the broker
        assert (run.status, run.error) == ("queued", NOT_SENT)
        assert not Breach.objects.exists()

        private_redis.start()
        worker = workers.start(queue="celery", redis_url=private_redis.url)  # the default queue: this Redis is ours
        from compliance.tasks import nightly_audit

        nightly_audit.delay()  # beat's nightly audit, now that the broker answers: it sends the waiting run again
        wait_for(
            lambda: AuditRun.objects.filter(pk=run.pk, status="finished").exists(),
            seconds=90,
            what="the waiting run to be audited",
            process=worker,
        )

    run.refresh_from_db()
    assert (run.lines_checked, run.breaches_found, run.error) == (10, 1, "")
    breach = Breach.objects.get()
    assert (breach.rule, breach.lines_count, breach.excess_amount) == ("pay_rate_above_cap", 10, Decimal("150.00"))
    assert AuditRun.objects.count() == 1
    print(
        f"\nFAULT b: broker down, the API submission answered 201 in {api_seconds:.2f} s; audited once Redis was back"
    )


# --- b2. Redis restarted without persistence: a queued audit's message is lost (issue 17, point 3) ------------------
# Every later request returned that same queued run and nothing ran until the nightly audit. Beat now re-sends a
# queued run older than AUDIT_RESEND_AFTER_SECONDS, once per that interval (the claim guards it).


def week_body(placement, monday):
    lines = [
        {"date": str(monday + timedelta(days=n)), "hours": "7.50", "pay_rate": "32.00", "charge_rate": "40.00"}
        for n in range(5)
    ]
    return {"placement": placement.pk, "week_ending": str(monday + timedelta(days=6)), "lines": lines}


def test_a_queued_run_whose_message_redis_lost_is_sent_again_by_beat(
    cap, agency_a, agency_user, private_redis, workers, settings
):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": private_redis.url}
    }
    placement = PlacementFactory(agency=agency_a, start_date=MONDAY, pay_rate="32.00", charge_rate="40.00")
    api = APIClient()
    api.force_authenticate(agency_user)
    with celery_broker(private_redis.url):
        assert api.post("/api/v1/timesheets/", week_body(placement, MONDAY), format="json").status_code == 201
        run = AuditRun.objects.get()
        assert (run.status, run.error) == ("queued", "")  # sent: the broker took the message

        private_redis.stop()  # no persistence: the queued message is gone
        private_redis.start()

        # Later requests find the same queued run; on today's code nothing sent it again until 02:00.
        second = api.post("/api/v1/timesheets/", week_body(placement, MONDAY + timedelta(days=7)), format="json")
        assert second.status_code == 201
        assert AuditRun.objects.get().pk == run.pk
        worker = workers.start(queue="celery", redis_url=private_redis.url)  # the default queue: this Redis is ours
        time.sleep(3)
        assert AuditRun.objects.get(pk=run.pk).status == "queued"

        # Minutes pass (the run and its last send made older rather than waited for).
        long_ago = timezone.now() - timedelta(seconds=settings.AUDIT_RESEND_AFTER_SECONDS + 60)
        AuditRun.objects.filter(pk=run.pk).update(created_at=long_ago, sent_at=long_ago)
        from compliance.tasks import resend_stale_audits

        resend_stale_audits.delay()  # what beat sends every minute
        wait_for(
            lambda: AuditRun.objects.filter(pk=run.pk, status="finished").exists(),
            seconds=90,
            what="the stuck run to be audited",
            process=worker,
        )
    run.refresh_from_db()
    assert (run.lines_checked, run.breaches_found) == (10, 1)
    assert Breach.objects.get().excess_amount == Decimal("150.00")
    assert AuditRun.objects.count() == 1


# --- c. The same week sent twice at the same moment -------------------------------------------------------------------


def test_the_same_week_sent_four_times_at_once_is_stored_once(cap, agency_a, agency_user, monkeypatch):
    monkeypatch.setattr("compliance.tasks.run_audit.delay", lambda run_id: None)  # no broker needed here
    placement = PlacementFactory(agency=agency_a, start_date=MONDAY)
    body = {
        "placement": placement.pk,
        "week_ending": str(MONDAY + timedelta(days=6)),
        "lines": [
            {"date": str(MONDAY + timedelta(days=n)), "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"}
            for n in range(5)
        ],
    }
    start, answers, failures = threading.Barrier(4), [], []

    def submit():
        try:
            api = APIClient()
            api.force_authenticate(agency_user)
            start.wait()
            response = api.post("/api/v1/timesheets/", body, format="json")
            answers.append((response.status_code, response.json()))
        except Exception as error:  # an assertion in a thread would be lost: reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert [status for status, _body in answers] == [201] * 4
    assert all(body == answers[0][1] for _status, body in answers)  # the same timesheet, the same revision
    timesheet = Timesheet.objects.get()
    assert timesheet.revision == 1
    assert TimesheetLine.objects.count() == 5  # not doubled, nothing superseded
    assert AuditRun.objects.count() == 1


def test_a_changed_week_sent_again_is_still_a_new_revision(cap, agency_a, agency_user, monkeypatch):
    monkeypatch.setattr("compliance.tasks.run_audit.delay", lambda run_id: None)
    placement = PlacementFactory(agency=agency_a, start_date=MONDAY)
    api = APIClient()
    api.force_authenticate(agency_user)
    line = {"date": str(MONDAY), "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"}
    body = {"placement": placement.pk, "week_ending": str(MONDAY + timedelta(days=6)), "lines": [line]}
    assert api.post("/api/v1/timesheets/", body, format="json").json()["revision"] == 1
    assert api.post("/api/v1/timesheets/", body, format="json").json()["revision"] == 1
    body["lines"] = [{**line, "hours": "7.00"}]
    response = api.post("/api/v1/timesheets/", body, format="json")
    assert (response.status_code, response.json()["revision"]) == (200, 2)


# --- d. The database connection lost in the middle of an upload -------------------------------------------------------

UPLOAD_DAYS = 4_000  # a file of 4,000 rows (800 weeks of one placement), checked and staged 1,000 rows at a time
# 800 weeks that have all been worked (a day after today is refused): from 2010 to 2025.
UPLOAD_MONDAY = date(2010, 1, 4)


@pytest.fixture
def cut_after_first_chunk(monkeypatch):
    """The upload's connection is terminated by the server (from another connection) once its first chunk is in."""
    real_add = LineStaging.add
    state = {"cut": 0}

    def add_then_cut(self, rows):
        count = real_add(self, rows)
        if not state["cut"]:
            pid = connection.connection.info.backend_pid
            with psycopg.connect(test_database_url(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            state["cut"] = count
        return count

    monkeypatch.setattr(LineStaging, "add", add_then_cut)
    return state


def upload_csv(placement, rows=UPLOAD_DAYS):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lines = ["placement,date,hours,pay_rate,charge_rate"]
    lines += [
        f"{placement.pk},{UPLOAD_MONDAY + timedelta(weeks=n // 5, days=n % 5)},7.50,30.00,40.00" for n in range(rows)
    ]
    return SimpleUploadedFile("big.csv", ("\r\n".join(lines) + "\r\n").encode())


def nothing_stored():
    return not (Timesheet.objects.exists() or TimesheetLine.objects.exists() or AuditRun.objects.exists())


def test_the_database_lost_mid_upload_stores_nothing_and_says_so_on_the_page(
    agency_a, agency_user, client, cut_after_first_chunk, monkeypatch
):
    monkeypatch.setattr("placements.uploads.CHUNK_ROWS", 1000)  # several chunks: the cut falls mid-file
    monkeypatch.setattr("compliance.tasks.run_audit.delay", lambda run_id: None)
    placement = PlacementFactory(agency=agency_a, start_date=UPLOAD_MONDAY, end_date=None)
    client.force_login(agency_user)
    response = client.post("/timesheets/upload/", {"file": upload_csv(placement)})

    assert cut_after_first_chunk["cut"] == 1000  # the first chunk was in when the connection went
    assert response.status_code == 503
    page = response.content.decode()
    assert "Not saved: the database connection was lost" in page
    assert "nothing of it was stored. Please send it again in a moment." in page
    assert nothing_stored()


def test_the_database_lost_mid_upload_is_a_503_on_the_api_and_a_retry_stores_the_whole_file(
    agency_a, agency_user, cut_after_first_chunk, monkeypatch
):
    monkeypatch.setattr("placements.uploads.CHUNK_ROWS", 1000)
    monkeypatch.setattr("compliance.tasks.run_audit.delay", lambda run_id: None)
    placement = PlacementFactory(agency=agency_a, start_date=UPLOAD_MONDAY, end_date=None)
    api = APIClient()
    api.force_authenticate(agency_user)
    response = api.post("/api/v1/timesheets/upload/", {"file": upload_csv(placement)}, format="multipart")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("The connection to the database was lost")
    assert nothing_stored()

    retry = api.post("/api/v1/timesheets/upload/", {"file": upload_csv(placement)}, format="multipart")
    assert retry.status_code == 201, retry.content
    assert retry.json()["lines_stored"] == UPLOAD_DAYS
    assert TimesheetLine.objects.count() == UPLOAD_DAYS
    assert Timesheet.objects.filter(revision=1).count() == UPLOAD_DAYS // 5
