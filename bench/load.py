"""Load benchmark of the REST API under gunicorn: prints figures, asserts nothing about time.

    .venv/bin/python bench/load.py [--users 50] [--duration 60] [--max-requests 200000] [--workers 5] [--keep]

Builds a database of its own (`bench_load`, on the server DATABASE_URL points at, or on the embedded PostgreSQL;
dropped afterwards unless --keep): migrations, the demo data (`load_demo`) and a few more agency and council users.
Starts gunicorn on 127.0.0.1 at a free port (workers: 2 × cores + 1 unless --workers) and one Celery worker on a
queue of the bench's own (Redis when REDIS_URL is set, else kombu's filesystem transport), so every timesheet
submitted is audited as in production. Then locust, as a library, runs `--users` concurrent clients for `--duration`
seconds or `--max-requests` requests, whichever comes first, each client firing its next request as soon as the
last is answered (`--think` adds a pause):

  agency clients (tokens of 6 agency users): list placements, list breaches, submit a week's timesheet (each client
  its own placement, week after week), check a rate against the cap;
  council clients (tokens of 6 council users): list placements, list breaches, check a rate against the cap.

It prints, per endpoint: requests, requests/s, p50, p95, p99 (ms) and errors (any answer other than the expected
status, a refused connection, a timeout); then the audit runs the submissions queued. Target: 0 errors.

Only a server on this machine is ever a target: `--host` must be a loopback address.

This file is also gunicorn's config file for the run (`-c bench/load.py`): gunicorn reads `post_worker_init` from it.
"""

import argparse
import ipaddress
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

BENCH_DB = "bench_load"
PASSWORD = "demo-pass-2025"  # the demo users' (demo.data.DEMO_PASSWORD); the bench's own users get it too
ENDPOINTS = {
    "placements": "GET /api/v1/placements/",
    "breaches": "GET /api/v1/breaches/",
    "timesheets": "POST /api/v1/timesheets/",
    "cap_check": "GET /api/v1/cap-check/",
}
# Bench users beside the demo's own (kestrel, meridian, solihull, coventry): agencies by company number, councils
# by ONS code. Approved agencies only: a suspended one may still submit timesheets, but keep the mix plain.
EXTRA_AGENCY_USERS = {
    "severnside": "99015007",
    "malvern": "99015008",
    "tamworth": "99015010",
    "blackcountry": "99015012",
}
EXTRA_COUNCIL_USERS = {
    "birmingham": "E08000025",
    "dudley": "E08000027",
    "sandwell": "E08000028",
    "walsall": "E08000030",
}
PLACEMENTS_PER_AGENCY_USER = 40


# --- gunicorn's config hook (this file is passed to gunicorn with -c) -------------------------------------------------


def post_worker_init(worker):
    """Send this run's audits to the bench's own queue, which only the bench's Celery worker reads (another worker on
    the same broker, a developer's `make run`, would take them against its own database)."""
    queue = os.environ.get("BENCH_AUDIT_QUEUE")
    if queue:
        from futuresocial.celery import app

        app.conf.task_routes = {"compliance.tasks.run_audit": {"queue": queue}}


# --- The database ----------------------------------------------------------------------------------------------------
# The helpers of bench/common.py are imported inside the functions: gunicorn loads this file as its config with only
# the project on its path, and needs nothing from them.


def prepare() -> None:
    """(In a child process, on the bench database.) Migrate, load the demo, add the bench users; print as JSON the
    users and, for each agency user, placements to submit timesheets for."""
    from common import setup_django

    setup_django()
    from django.core.management import call_command

    from accounts.models import User
    from accounts.services import user_upsert
    from agencies.models import Agency
    from demo.data import DATA_END
    from placements.models import Placement

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    for username, company in EXTRA_AGENCY_USERS.items():
        agency = Agency.objects.get(company_number=company)
        user_upsert(username=username, password=PASSWORD, role=User.Role.AGENCY, agency_id=agency.pk)
    for username, code in EXTRA_COUNCIL_USERS.items():
        user_upsert(username=username, password=PASSWORD, role=User.Role.COUNCIL, authority_code=code)

    last_day = min(DATA_END, date.today())
    agency_users = []
    for user in User.objects.filter(role=User.Role.AGENCY, is_active=True).select_related("agency").order_by("id"):
        placements = (
            Placement.objects.filter(agency=user.agency, start_date__lte=last_day - timedelta(days=14))
            .select_related("role")
            .order_by("-start_date", "id")[:PLACEMENTS_PER_AGENCY_USER]
        )
        agency_users.append(
            {
                "username": user.username,
                "placements": [
                    {
                        "id": p.pk,
                        "first_day": p.start_date.isoformat(),
                        "last_day": min(p.end_date or last_day, last_day).isoformat(),
                        "pay_rate": str(p.pay_rate),
                        "charge_rate": str(p.charge_rate),
                        "role": p.role.code,
                    }
                    for p in placements
                ],
            }
        )
    councils = list(
        User.objects.filter(role=User.Role.COUNCIL, is_active=True).order_by("id").values_list("username", flat=True)
    )
    print(json.dumps({"agency_users": agency_users, "council_users": councils}))


# --- The servers -----------------------------------------------------------------------------------------------------


def loopback_only(host: str) -> str:
    if host == "localhost":
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise SystemExit(f"Refused: {host} is not a loopback address. This bench only loads a server on this machine.")


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until_up(base_url: str, *, seconds: float, processes) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"{process.args[0]} exited ({process.returncode}) before the bench started")
        try:
            with urllib.request.urlopen(f"{base_url}/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"gunicorn did not answer at {base_url} within {seconds:.0f} s")


def stop(process, *, seconds=20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- The load --------------------------------------------------------------------------------------------------------


def weeks(placement) -> list[tuple[str, list[str]]]:
    """The placement's weeks, each (week ending, its working days within the placement), latest first."""
    first, last = date.fromisoformat(placement["first_day"]), date.fromisoformat(placement["last_day"])
    sunday = last + timedelta(days=(6 - last.weekday()) % 7)
    found = []
    while sunday - timedelta(days=6) <= last and len(found) < 200:
        days = [sunday - timedelta(days=6 - i) for i in range(5)]
        days = [d.isoformat() for d in days if first <= d <= last]
        if days:
            found.append((sunday.isoformat(), days))
        if sunday - timedelta(days=6) < first:
            break
        sunday -= timedelta(days=7)
    return found


def run_load(args, base_url: str, plan: dict) -> dict:
    import gevent
    import requests
    from locust import FastHttpUser, between, constant, events, task
    from locust.env import Environment

    def token(username):
        response = requests.post(
            f"{base_url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30
        )
        response.raise_for_status()
        return response.json()["token"]

    agency_tokens = [(token(u["username"]), u["placements"]) for u in plan["agency_users"] if u["placements"]]
    council_tokens = [token(username) for username in plan["council_users"]]
    wait = between(0, args.think) if args.think else constant(0)
    counter = {"agency": 0, "council": 0}

    class ApiClient(FastHttpUser):
        abstract = True
        host = base_url
        wait_time = wait
        connection_timeout = 30.0
        network_timeout = 60.0

        def call(self, method, path, name, *, expect=(200,), **kwargs):
            headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
            with self.client.request(
                method, path, name=name, headers=headers, catch_response=True, allow_redirects=False, **kwargs
            ) as response:
                if response.status_code not in expect:
                    response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")

        @task(3)
        def list_placements(self):
            self.call("GET", "/api/v1/placements/", ENDPOINTS["placements"])

        @task(3)
        def list_breaches(self):
            self.call("GET", "/api/v1/breaches/", ENDPOINTS["breaches"])

        @task(3)
        def cap_check(self):
            # A rate around the caps, on any day of the demo's years, for one of three roles.
            pay = Decimal(random.randint(2000, 3500)) / 100
            day = date(2019, 1, 1) + timedelta(days=random.randint(0, 2500))
            params = f"role={random.choice(('SW', 'SSW', 'TM'))}&date={day}&pay_rate={pay}&charge_rate={pay + 9}"
            self.call("GET", f"/api/v1/cap-check/?{params}", ENDPOINTS["cap_check"])

    class AgencyClient(ApiClient):
        def on_start(self):
            n = counter["agency"]
            counter["agency"] += 1
            self.token, placements = agency_tokens[n % len(agency_tokens)]
            # Each client its own placement, so two clients never submit the same week at once.
            self.placement = placements[(n // len(agency_tokens)) % len(placements)]
            self.weeks = weeks(self.placement)
            self.next_week = 0

        @task(2)
        def submit_timesheet(self):
            week_ending, days = self.weeks[self.next_week % len(self.weeks)]
            self.next_week += 1
            rates = {"pay_rate": self.placement["pay_rate"], "charge_rate": self.placement["charge_rate"]}
            body = {
                "placement": self.placement["id"],
                "week_ending": week_ending,
                "lines": [{"date": day, "hours": "7.50", **rates} for day in days],
            }
            self.call("POST", "/api/v1/timesheets/", ENDPOINTS["timesheets"], json=body, expect=(200, 201))

    class CouncilClient(ApiClient):
        def on_start(self):
            n = counter["council"]
            counter["council"] += 1
            self.token = council_tokens[n % len(council_tokens)]

    environment = Environment(user_classes=[AgencyClient, CouncilClient], events=events)
    runner = environment.create_local_runner()
    sent = {"n": 0}

    def on_request(**kwargs):
        sent["n"] += 1
        if sent["n"] == args.max_requests:
            gevent.spawn(runner.quit)

    environment.events.request.add_listener(on_request)
    started = time.monotonic()
    runner.start(args.users, spawn_rate=args.users)
    gevent.spawn_later(args.duration, runner.quit)
    runner.greenlet.join()
    elapsed = time.monotonic() - started
    return {"stats": environment.stats, "elapsed": elapsed}


def report(stats, elapsed: float) -> int:
    print(f"\n{'endpoint':<28} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    entries = sorted(stats.entries.values(), key=lambda e: list(ENDPOINTS.values()).index(e.name))
    for entry in [*entries, stats.total]:
        name = "all" if entry is stats.total else entry.name
        print(
            f"{name:<28} {entry.num_requests:>9,} {entry.num_requests / elapsed:>8.1f} "
            f"{entry.get_response_time_percentile(0.50):>8.0f} {entry.get_response_time_percentile(0.95):>8.0f} "
            f"{entry.get_response_time_percentile(0.99):>8.0f} {entry.num_failures:>7,}"
        )
    for error in stats.errors.values():
        print(f"  error ×{error.occurrences}: {error.name}: {error.error}")
    return stats.total.num_failures


def audits(db_url: str) -> str:
    import psycopg

    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT status, count(*), coalesce(sum(lines_checked), 0) FROM compliance_auditrun "
            "WHERE trigger = 'timesheet' GROUP BY status ORDER BY status"
        ).fetchall()
    return ", ".join(f"{n} {status} ({lines:,} lines checked)" for status, n, lines in rows) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    parser.add_argument("--think", type=float, default=0, help="a client's pause between requests, up to N s")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address gunicorn listens on")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker: submissions' audits stay queued")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)  # the child process's part
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return 0
    host = loopback_only(args.host)
    if not 1 <= args.users <= 500 or not 0 < args.duration <= 600 or args.max_requests < 1:
        raise SystemExit("Bounds: 1-500 users, a duration of at most 600 s, at least 1 request.")

    from common import BASE_DIR, drop_databases, recreate_database, server_url, with_database

    url = server_url()
    db_url = with_database(url, BENCH_DB)
    queue = f"bench-load-audit-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "futuresocial.settings",
        "DEBUG": "false",
        # Plain HTTP on loopback: with DEBUG off HTTPS is the default (redirects, secure cookies) unless turned off.
        "HTTPS": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{host},localhost,127.0.0.1",
        "BENCH_AUDIT_QUEUE": queue,
        # The API's per-user write throttle (300/minute by default) would turn most submissions into 429s: the bench
        # measures what the server sustains, not the throttle (tests cover that).
        "API_WRITE_RATE": "1000000/minute",
        "PYTHONUNBUFFERED": "1",
    }
    print(f"Preparing the database {BENCH_DB} (migrations, demo data, bench users)...", flush=True)
    recreate_database(url, BENCH_DB)
    gunicorn = worker = None
    logs = tempfile.TemporaryDirectory(prefix="bench-load-")
    try:
        prepared = subprocess.run(
            [sys.executable, __file__, "--prepare"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=900
        )
        if prepared.returncode != 0:
            raise SystemExit(f"Preparing the database failed:\n{prepared.stderr[-3000:]}")
        plan = json.loads(prepared.stdout.strip().splitlines()[-1])

        port = free_port(host)
        base_url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
        venv_bin = Path(sys.executable).parent
        log = open(Path(logs.name) / "servers.log", "w")
        gunicorn = subprocess.Popen(
            [
                str(venv_bin / "gunicorn"),
                "futuresocial.wsgi:application",
                "-c",
                __file__,
                "--bind",
                f"{host}:{port}" if ":" not in host else f"[{host}]:{port}",
                "--workers",
                str(args.workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "10",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if not args.no_worker:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "futuresocial",
                    "worker",
                    "-Q",
                    queue,
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(base_url, seconds=60, processes=[p for p in (gunicorn, worker) if p])
        agencies, councils = len(plan["agency_users"]), len(plan["council_users"])
        print(
            f"gunicorn: {args.workers} workers on {base_url}; {args.users} clients (agency users: {agencies}, "
            f"council users: {councils}) for {args.duration:.0f} s or {args.max_requests:,} requests; "
            f"Celery worker: {'no' if args.no_worker else 'yes'}",
            flush=True,
        )
        result = run_load(args, base_url, plan)
        print(f"Ran {result['elapsed']:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
        errors = report(result["stats"], result["elapsed"])
        if worker is not None:
            time.sleep(2)  # the last submission's audit, if one is still running
        print(f"Audit runs after the submissions: {audits(db_url)}")
        if gunicorn.poll() is not None:
            errors += 1
            print(f"gunicorn exited during the run ({gunicorn.returncode})")
        server_errors = [line for line in open(log.name) if "Traceback" in line or "[ERROR]" in line]
        if server_errors:
            print(f"Server log: {len(server_errors)} errors; last lines:\n" + "".join(open(log.name).readlines()[-30:]))
        return 0 if errors == 0 else 1
    finally:
        stop(gunicorn)
        stop(worker)
        # The bench's queue, gone from the broker: declared first so the channel knows its binding, then deleted.
        forget_queue = (
            "from kombu import Exchange, Queue\n"
            "from futuresocial.celery import app\n"
            "with app.connection_for_write() as connection:\n"
            f"    queue = Queue({queue!r}, Exchange({queue!r}), routing_key={queue!r})(connection.default_channel)\n"
            "    queue.declare()\n"
            "    queue.delete()\n"
        )
        subprocess.run([sys.executable, "-c", forget_queue], cwd=BASE_DIR, env=env, capture_output=True, timeout=60)
        if not args.keep:
            drop_databases(url, BENCH_DB)
        logs.cleanup()


if __name__ == "__main__":
    if "--prepare" not in sys.argv:
        # locust runs on gevent: the standard library is patched before anything imports ssl or sockets.
        from gevent import monkey

        monkey.patch_all()
    sys.exit(main())
