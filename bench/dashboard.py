"""Benchmark of the dashboards: prints figures, asserts nothing about time.

    .venv/bin/python bench/dashboard.py [--placements 2000] [--agencies 40] [--runs 9] [--keep]

Builds a region twice, in two databases of its own (`bench_dashboard_10k` and `bench_dashboard_1m`, on the server
DATABASE_URL points at, or on the embedded PostgreSQL; dropped afterwards unless --keep): the same MoU versions from
2017 (2016 is "before the caps"), agencies and placements starting 2016–2022 at random authorities, roles and
engagement types; each placement has 100 weeks of work, of which the small set holds one (10,000 lines) and the large
set all (1,000,000 lines), about 4 % of lines above the caps. In each the audit and the summaries' refresh run
through their own code and some cases are closed. Then each dashboard's server time for the coordinator and a
council (Django's test Client: middleware, view, queries, template) is measured alternately on the two databases
(so both see the same load on a shared machine), median of --runs after a warm-up request, and the ratio
large/small printed (target <= 1.5); with the refresh's times (full, after a resubmission, with nothing new).
"""

import argparse
import statistics
import sys

from common import Stopwatch, drop_databases, recreate_database, server_url, setup_django, with_database

SMALL_DB, LARGE_DB = "bench_dashboard_10k", "bench_dashboard_1m"
WEEKS = 100  # weeks of work per placement in the large set
DAYS = 5  # lines per week

PAGES = [
    ("rates", "/dashboards/rates/"),
    ("compliance", "/dashboards/compliance/"),
    ("cost", "/dashboards/cost/"),
]


def build_region(cursor, *, placements: int, agencies: int) -> None:
    """Versions, caps, agencies, workers and placements. Triggers (history, delete protection, foreign-key checks) are
    off while building: the rows are consistent by construction."""
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SELECT setseed(0.2015)")
    cursor.execute(
        """
        INSERT INTO mou_mouversion (name, effective_from, binds_existing_from, status, cooling_off_months,
                                    min_experience_years, notes, created_at)
        VALUES ('Bench 2017', '2017-01-01', '2017-01-01', 'superseded', 12, 0, '', now()),
               ('Bench 2019', '2019-04-01', '2019-10-01', 'superseded', 12, 0, '', now()),
               ('Bench 2023', '2023-04-01', '2023-07-01', 'in_force', 12, 0, '', now())
        """
    )
    # A role's base rate: £24 + £2 a step of seniority (rank 10, 20…). Its pay cap: the base, £1 more with each
    # version; the charge cap 35 % above that.
    cursor.execute(
        """
        INSERT INTO mou_cap (version_id, role_id, engagement_type, max_pay_rate, max_charge_rate)
        SELECT version_id, role_id, NULL, cap, round(cap * 1.35, 2)
          FROM (SELECT v.id AS version_id, r.id AS role_id,
                       24 + r.rank / 5 + row_number() OVER (PARTITION BY r.id ORDER BY v.effective_from) - 1 AS cap
                  FROM mou_mouversion v CROSS JOIN mou_role r WHERE r.capped) caps
        """
    )
    cursor.execute(
        """
        INSERT INTO agencies_agency (name, company_number, standing, is_msp, mou_signed_on, contact_email)
        SELECT 'Bench agency ' || g, lpad(g::text, 8, '0'),
               CASE WHEN mod(g, 17) = 0 THEN 'suspended' ELSE 'approved' END, false, DATE '2015-01-01', ''
          FROM generate_series(1, %s) g
        """,
        [agencies],
    )
    cursor.execute(
        """
        INSERT INTO placements_worker (swe_number, created_at)
        SELECT 'SW' || (100000 + g), now() FROM generate_series(1, %s) g
        """,
        [placements],
    )
    # Mondays from January 2016 over seven years; random agency, authority, engagement type; roles weighted as a
    # region's are (social workers most, service managers few).
    cursor.execute(
        """
        INSERT INTO placements_placement (agency_id, authority_id, role_id, worker_id, engagement_type, start_date,
                                          pay_rate, on_costs, charge_rate, project_team, worker_qualified_on,
                                          created_at)
        SELECT a.ids[1 + floor(x.u1 * array_length(a.ids, 1))::int], au.ids[1 + floor(x.u2 * 14)::int],
               (SELECT id FROM mou_role WHERE code = CASE WHEN x.u3 < 0.40 THEN 'SW' WHEN x.u3 < 0.65 THEN 'SSW'
                    WHEN x.u3 < 0.80 THEN 'AP' WHEN x.u3 < 0.88 THEN 'TM' WHEN x.u3 < 0.95 THEN 'IRO' ELSE 'SM' END),
               w.first + x.g - 1, (ARRAY['paye', 'umbrella', 'limited'])[1 + floor(x.u4 * 3)::int],
               DATE '2016-01-04' + 7 * floor(x.u5 * 365)::int, 24.00, 3.00, 32.00, false,
               DATE '2005-01-01' + (random() * 3000)::int, now()
          FROM (SELECT g, random() u1, random() u2, random() u3, random() u4, random() u5
                  FROM generate_series(1, %s) g) x,
               (SELECT array_agg(id ORDER BY id) ids FROM agencies_agency) a,
               (SELECT array_agg(id ORDER BY id) ids FROM workforce_authority) au,
               (SELECT min(id) first FROM placements_worker) w
        """,
        [placements],
    )
    cursor.execute("SET session_replication_role = DEFAULT")


def add_weeks(cursor, *, small: bool) -> int:
    """The small set's week of each placement (week number id mod 100) or all 100; 5 lines a week, pay up to £3
    under the role's base rate, or (4 % of lines) £5 over it, above every cap; the charge 32 % above the pay."""
    week_filter = "w = mod(p.id, %s)" if small else "w >= 0 OR w = %s"
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SELECT setseed(0.2018)")
    cursor.execute(
        f"""
        INSERT INTO placements_timesheet (placement_id, week_ending, revision, submitted_at)
        SELECT p.id, p.start_date + 6 + 7 * w, 1, now()
          FROM placements_placement p CROSS JOIN generate_series(0, %s - 1) w
         WHERE {week_filter}
        """,
        [WEEKS, WEEKS],
    )
    # random() in the subquery's select list: evaluated once per line (the subquery is not flattened).
    cursor.execute(
        f"""
        INSERT INTO placements_timesheetline (timesheet_id, placement_id, revision, date, hours, pay_rate, charge_rate)
        SELECT id, placement_id, 1, day, 7.50, pay, round(pay * 1.32, 2)
          FROM (SELECT t.id, t.placement_id, t.week_ending - 6 + d AS day,
                       CASE WHEN random() < 0.04 THEN 24 + r.rank / 5 + 5.00
                            ELSE round((24 + r.rank / 5 - 3 * random())::numeric, 2) END AS pay
                  FROM placements_timesheet t
                  JOIN placements_placement p ON p.id = t.placement_id
                  JOIN mou_role r ON r.id = p.role_id
                 CROSS JOIN generate_series(0, {DAYS - 1}) d) lines
         ORDER BY id, day
        """
    )
    added = cursor.rowcount
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("ANALYZE")
    return added


def resubmit_weeks(cursor, *, weeks: int) -> None:
    """`weeks` timesheets submitted again as the store does it: a new revision whose lines supersede the old."""
    cursor.execute(
        """
        WITH sheets AS (
            UPDATE placements_timesheet SET revision = revision + 1
             WHERE id IN (SELECT id FROM placements_timesheet ORDER BY id DESC LIMIT %s)
            RETURNING id, revision
        ), gone AS (
            UPDATE placements_timesheetline l SET superseded_at = now()
              FROM sheets s WHERE l.timesheet_id = s.id AND l.superseded_at IS NULL
            RETURNING l.timesheet_id, l.placement_id, l.date, l.hours, l.pay_rate, l.charge_rate
        )
        INSERT INTO placements_timesheetline (timesheet_id, placement_id, revision, date, hours, pay_rate, charge_rate)
        SELECT g.timesheet_id, g.placement_id, s.revision, g.date, 8.00, g.pay_rate, g.charge_rate
          FROM gone g JOIN sheets s ON s.id = g.timesheet_id
        """,
        [weeks],
    )


def close_some_cases(cursor) -> None:
    """Half the open cases resolved, a tenth dismissed, within 1–60 days of detection (history triggers off)."""
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("UPDATE compliance_breach SET detected_at = detected_at - interval '90 days' WHERE status = 'open'")
    cursor.execute(
        """
        UPDATE compliance_breach
           SET status = CASE WHEN random() < 0.83 THEN 'resolved' ELSE 'dismissed' END,
               dismissed_reason = 'bench', closed_at = detected_at + (1 + random() * 59) * interval '1 day'
         WHERE status = 'open' AND random() < 0.6
        """
    )
    cursor.execute("SET session_replication_role = DEFAULT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--placements", type=int, default=2_000)
    parser.add_argument("--agencies", type=int, default=40)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the two databases afterwards")
    args = parser.parse_args()

    url = server_url()
    recreate_database(url, SMALL_DB)
    setup_django(with_database(url, SMALL_DB))
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from compliance.audit import audit_perform
    from compliance.models import AuditRun, Breach
    from dashboards.models import MonthlyRates, RateSummary
    from dashboards.summaries import summaries_refresh
    from region.models import Authority

    def use(name):
        connection.close()
        connection.settings_dict["NAME"] = name

    print(f"Databases {SMALL_DB} and {LARGE_DB}: migrating, building the region…")
    call_command("migrate", verbosity=0)
    try:
        with connection.cursor() as cursor:
            build_region(cursor, placements=args.placements, agencies=args.agencies)
        User.objects.create(username="bench-coordinator", role=User.Role.COORDINATOR)
        User.objects.create(
            username="bench-council", role=User.Role.COUNCIL, authority=Authority.objects.get(code="E08000029")
        )
        connection.close()
        recreate_database(url, LARGE_DB, template=SMALL_DB)  # the same region, row for row

        clients = {}
        for database, small in ((SMALL_DB, True), (LARGE_DB, False)):
            use(database)
            with connection.cursor() as cursor, Stopwatch() as build:
                added = add_weeks(cursor, small=small)
            with Stopwatch() as audit:
                run = audit_perform(run_id=AuditRun.objects.create(trigger="bench").pk)
            refresh = summaries_refresh()
            with connection.cursor() as cursor:
                close_some_cases(cursor)
                cursor.execute("ANALYZE")
            print(
                f"  {database}: {added:,} lines (built in {build.seconds:.1f} s), audit {audit.seconds:.1f} s "
                f"({run.breaches_found:,} cases), summaries {'built' if refresh.full else 'refreshed'} in "
                f"{refresh.seconds:.2f} s: {RateSummary.objects.count():,} detailed rows, "
                f"{MonthlyRates.objects.count():,} monthly rows; {Breach.objects.count():,} cases"
            )
            for persona in ("bench-coordinator", "bench-council"):
                client = Client()
                client.force_login(User.objects.get(username=persona))
                clients[database, persona] = client

        timings = {}
        for persona in ("bench-coordinator", "bench-council"):
            for name, page in PAGES:
                samples = {SMALL_DB: [], LARGE_DB: []}
                for _ in range(args.runs):
                    for database in (SMALL_DB, LARGE_DB):  # alternately: both see the same load
                        use(database)
                        client = clients[database, persona]
                        assert client.get(page).status_code == 200  # warm-up (and the connection)
                        with Stopwatch() as request:
                            response = client.get(page)
                        samples[database].append(request.seconds)
                        assert response.status_code == 200
                timings[persona, name] = (statistics.median(samples[SMALL_DB]), statistics.median(samples[LARGE_DB]))

        use(LARGE_DB)
        full = summaries_refresh(full=True)
        with connection.cursor() as cursor:
            resubmit_weeks(cursor, weeks=100)
        after_resubmission = summaries_refresh()
        nothing = summaries_refresh()
        print(
            f"  Summaries on 1M lines: full rebuild {full.seconds:.2f} s; after 100 resubmitted weeks "
            f"{after_resubmission.seconds * 1000:.0f} ms ({after_resubmission.groups} groups); with nothing new "
            f"{nothing.seconds * 1000:.0f} ms"
        )
        print()
        print(
            f"  {'dashboard':<28}{'10k lines':>12}{'1M lines':>12}{'ratio':>8}   (server time, median of {args.runs})"
        )
        worst = 0.0
        for (persona, name), (small_s, large_s) in timings.items():
            ratio = large_s / small_s
            worst = max(worst, ratio)
            label = f"{name} ({persona.removeprefix('bench-')})"
            print(f"  {label:<28}{small_s * 1000:>9.1f} ms{large_s * 1000:>9.1f} ms{ratio:>8.2f}")
        print(f"  worst ratio = {worst:.2f}   (target <= 1.5)")
        return 0
    finally:
        connection.close()
        if not args.keep:
            drop_databases(url, SMALL_DB, LARGE_DB)


if __name__ == "__main__":
    sys.exit(main())
