"""Benchmark of the audit: prints figures, asserts nothing about time.

    .venv/bin/python bench/audit.py [--lines 1000000] [--placements 50000] [--agencies 200] [--keep]

Builds a data set with generate_series in a database of its own (`bench_audit`, created on the server DATABASE_URL
points at, or on the embedded PostgreSQL, and dropped afterwards unless --keep), then measures in one run:
  (a) the floor: one SELECT counting every line over the cap that binds it;
  (b) the full audit, through the Celery task's own code (compliance.audit.audit_perform);
  (c) an incremental audit of 10,000 new lines on top of the audited set;
  (d) an audit of 10,000 lines on an otherwise empty table;
  (e) a re-judge: cap exceptions recorded late for 1,000 placements, each covering a year of their work, and the
      audit that judges those lines again (compliance.audit._rejudge) on top of the audited set;
  (f) the same affected lines, with the same exceptions, audited on an otherwise empty table.
It checks that (b) found exactly what a plain SQL recount finds, and prints the server's version, lines/s,
audit/floor, incremental/empty and rejudge/affected-empty (targets: audit/floor <= 4, incremental/empty <= 2,
rejudge/affected-empty <= 2).
"""

import argparse
import sys

from common import drop_databases, recreate_database, server_url, setup_django, timed, with_database

BENCH_DB = "bench_audit"


def build(cursor, *, lines: int, placements: int, agencies: int) -> None:
    """Agencies, workers, placements and weekly timesheets; about 3 % of lines paid above the cap (3.6 % of lines
    at a rate above every cap, a sixth of them in the uncapped role).

    Triggers (history, delete protection, foreign-key checks) are off while building: the rows are consistent by
    construction, and the point is to measure the audit, not the history of a synthetic data set."""
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SELECT setseed(0.2015)")
    cursor.execute(
        """
        INSERT INTO mou_mouversion (name, effective_from, binds_existing_from, status, cooling_off_months,
                                    min_experience_years, notes, created_at)
        VALUES ('Bench 2015', '2015-01-01', '2015-01-01', 'superseded', 12, 0, '', now()),
               ('Bench 2018', '2018-04-01', '2018-10-01', 'superseded', 12, 0, '', now()),
               ('Bench 2022', '2022-04-01', '2022-07-01', 'in_force', 12, 3, '', now())
        """
    )
    # Caps: every capped role, any engagement type, rising with each version; limited companies capped apart in 2022.
    cursor.execute(
        """
        INSERT INTO mou_cap (version_id, role_id, engagement_type, max_pay_rate, max_charge_rate)
        SELECT v.id, r.id, NULL, 22.00 + r.rank / 10.0 + (v.effective_from - DATE '2015-01-01') / 1000.0,
               32.00 + r.rank / 10.0 + (v.effective_from - DATE '2015-01-01') / 1000.0
          FROM mou_mouversion v CROSS JOIN mou_role r WHERE r.capped
        UNION ALL
        SELECT v.id, r.id, 'limited', 24.00 + r.rank / 10.0, 36.00 + r.rank / 10.0
          FROM mou_mouversion v CROSS JOIN mou_role r WHERE r.capped AND v.name = 'Bench 2022'
        """
    )
    cursor.execute(
        """
        INSERT INTO agencies_agency (name, company_number, standing, is_msp, mou_signed_on, contact_email)
        SELECT 'Bench agency ' || g, lpad(g::text, 8, '0'), 'approved', false, DATE '2015-01-01', ''
          FROM generate_series(1, %s) g
        """,
        [agencies],
    )
    cursor.execute(
        """
        INSERT INTO placements_worker (swe_number, created_at)
        SELECT 'SW' || (100000 + g), now()
          FROM generate_series(1, %s) g
        """,
        [placements],
    )
    cursor.execute(
        """
        INSERT INTO placements_placement (agency_id, authority_id, role_id, worker_id, engagement_type, start_date,
                                          pay_rate, on_costs, charge_rate, project_team, worker_qualified_on,
                                          created_at)
        SELECT a.ids[1 + mod(g, array_length(a.ids, 1))], au.ids[1 + mod(g, 14)],
               r.ids[1 + mod(g, array_length(r.ids, 1))],
               w.first + g - 1, (ARRAY['paye', 'umbrella', 'limited'])[1 + mod(g, 3)],
               DATE '2016-01-04' + mod(g * 7919, 3000), 20.00, 3.00, 28.00, false,
               DATE '2005-01-01' + (random() * 3000)::int, now()
          FROM generate_series(1, %s) g,
               (SELECT array_agg(id ORDER BY id) ids FROM agencies_agency) a,
               (SELECT array_agg(id ORDER BY id) ids FROM workforce_authority) au,
               (SELECT array_agg(id ORDER BY id) ids FROM mou_role) r,
               (SELECT min(id) first FROM placements_worker) w
        """,
        [placements],
    )
    add_lines(cursor, count=lines, start_week=0)
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("ANALYZE")


def add_lines(cursor, *, count: int, start_week: int) -> None:
    """`count` lines, Monday to Friday of consecutive weeks of each placement from its `start_week`-th week on
    (creating the weeks' timesheets first)."""
    cursor.execute("SELECT count(*) FROM placements_placement")
    placements = cursor.fetchone()[0]
    days = -(-count // placements)  # lines per placement, rounded up
    cursor.execute("DROP TABLE IF EXISTS bench_days")
    cursor.execute(
        """
        CREATE TEMP TABLE bench_days AS
        SELECT p.id AS placement_id,
               p.start_date + (7 - extract(isodow FROM p.start_date)::int) + 7 * ((g - 1) / 5 + %s) AS week_ending,
               mod(g - 1, 5) AS weekday,
               row_number() OVER (ORDER BY g, p.id) AS n
          FROM placements_placement p CROSS JOIN generate_series(1, %s) g
        """,
        [start_week, days],
    )
    cursor.execute("DELETE FROM bench_days WHERE n > %s", [count])
    cursor.execute(
        """
        INSERT INTO placements_timesheet (placement_id, week_ending, revision, submitted_at)
        SELECT DISTINCT placement_id, week_ending, 1, now() FROM bench_days
        ON CONFLICT (placement_id, week_ending) DO NOTHING
        """
    )
    cursor.execute(
        """
        INSERT INTO placements_timesheetline (timesheet_id, placement_id, revision, date, hours, pay_rate, charge_rate)
        SELECT t.id, d.placement_id, 1, d.week_ending - 6 + d.weekday, 7.50,
               CASE WHEN random() < 0.036 THEN 60.00 ELSE 20.00 END, 28.00
          FROM bench_days d
          JOIN placements_timesheet t ON t.placement_id = d.placement_id AND t.week_ending = d.week_ending
         ORDER BY d.n
        """
    )


def record_late_exceptions(cursor, *, placements: int) -> None:
    """Cap exceptions recorded today for `placements` placements, each covering the first year of its work, and the
    re-judging requests that recording them makes (as placements.services.cap_exception_record does)."""
    cursor.execute(
        """
        WITH chosen AS (
            SELECT id, start_date FROM placements_placement ORDER BY id LIMIT %s
        ), exceptions AS (
            INSERT INTO placements_capexception (placement_id, signed_by_dcs, signed_by_chief_executive, reason,
                                                 valid_from, valid_until, recorded_at)
            SELECT id, 'Bench DCS', 'Bench chief executive', 'Signed off late', start_date,
                   start_date + 365, now()
              FROM chosen
            RETURNING id, placement_id, valid_from, valid_until
        )
        INSERT INTO compliance_rejudge (reason, lines_from, lines_until, placement_id, requested_at,
                                        lines_rejudged, placements_rejudged)
        SELECT 'Cap exception ' || id || ', recorded late, covers these days', valid_from, valid_until,
               placement_id, now(), 0, 0
          FROM exceptions
        """,
        [placements],
    )
    cursor.execute("ANALYZE placements_capexception")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--placements", type=int, default=50_000)
    parser.add_argument("--agencies", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the bench_audit database afterwards")
    args = parser.parse_args()

    url = server_url()
    recreate_database(url, BENCH_DB)
    setup_django(with_database(url, BENCH_DB))
    from django.core.management import call_command
    from django.db import connection

    from compliance.audit import audit_perform
    from compliance.models import AuditRun
    from mou.selectors import EFFECTIVE_CAPS_SQL, binding_version_sql

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]} at {url.rsplit('@', 1)[-1]}")
    print(f"Database {BENCH_DB}: migrating…")
    call_command("migrate", verbosity=0)
    try:
        with connection.cursor() as cursor:
            print(f"Building {args.lines:,} lines, {args.placements:,} placements, {args.agencies} agencies…")
            _, build_seconds = timed(
                "build (generate_series)",
                lambda: build(cursor, lines=args.lines, placements=args.placements, agencies=args.agencies),
            )

        def floor():
            version_sql, params = binding_version_sql(started_on="p.start_date", worked_on="l.date")
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    WITH caps AS MATERIALIZED ({EFFECTIVE_CAPS_SQL})
                    SELECT count(*) FROM placements_timesheetline l
                      JOIN placements_placement p ON p.id = l.placement_id
                      JOIN caps c ON c.version_id = {version_sql}
                                 AND c.role_id = p.role_id AND c.engagement_type = p.engagement_type
                     WHERE l.superseded_at IS NULL
                       -- The pay the cap compares, as the audit does (with on-costs where the version counts them).
                       AND (l.pay_rate + CASE WHEN c.counts_on_costs THEN p.on_costs ELSE 0 END > c.max_pay_rate
                            OR l.charge_rate > c.max_charge_rate)
                    """,
                    params,
                )
                return cursor.fetchone()[0]

        def audit():
            run = AuditRun.objects.create(trigger="bench")
            return audit_perform(run_id=run.pk)

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM placements_timesheetline")
            total_lines = cursor.fetchone()[0]
        print(f"Measuring on {total_lines:,} lines:")
        floor()  # warm the cache the same way for both
        over, floor_seconds = timed("(a) floor: one SELECT counting lines over cap", floor)
        run, audit_seconds = timed("(b) full audit (audit_perform)", audit)

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rule, count(*) FROM compliance_breachline bl"
                " JOIN compliance_breach b ON b.id = bl.breach_id GROUP BY rule"
            )
            found = dict(cursor.fetchall())
            version_sql, params = binding_version_sql(started_on="p.start_date", worked_on="l.date")
            cursor.execute(
                f"""
                WITH caps AS MATERIALIZED ({EFFECTIVE_CAPS_SQL})
                SELECT count(*) FILTER (WHERE o.pay > c.max_pay_rate),
                       count(*) FILTER (WHERE l.charge_rate > c.max_charge_rate),
                       count(DISTINCT (l.placement_id, c.version_id)) FILTER (WHERE o.pay > c.max_pay_rate)
                  FROM placements_timesheetline l JOIN placements_placement p ON p.id = l.placement_id
                  JOIN caps c ON c.version_id = {version_sql} AND c.role_id = p.role_id
                             AND c.engagement_type = p.engagement_type
                 CROSS JOIN LATERAL (
                       SELECT l.pay_rate + CASE WHEN c.counts_on_costs THEN p.on_costs ELSE 0 END AS pay) o
                """,
                params,
            )
            pay_lines, charge_lines, pay_cases = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM compliance_breach WHERE rule = 'pay_rate_above_cap'")
            found_pay_cases = cursor.fetchone()[0]
        recount_ok = (
            found.get("pay_rate_above_cap", 0) == pay_lines
            and found.get("charge_rate_above_cap", 0) == charge_lines
            and found_pay_cases == pay_cases
        )
        print(
            f"  recount: pay lines {pay_lines:,} (audit {found.get('pay_rate_above_cap', 0):,}), charge lines "
            f"{charge_lines:,} (audit {found.get('charge_rate_above_cap', 0):,}), pay cases {pay_cases:,} "
            f"(audit {found_pay_cases:,}): {'MATCH' if recount_ok else 'MISMATCH'}"
        )
        print(f"  lines over a cap (floor count): {over:,} = {over / max(total_lines, 1):.1%}")

        with connection.cursor() as cursor:
            add_lines(cursor, count=10_000, start_week=1000)
        incremental, incremental_seconds = timed("(c) incremental audit of 10,000 new lines", audit)

        with connection.cursor() as cursor:
            record_late_exceptions(cursor, placements=1000)
        rejudged, rejudge_seconds = timed("(e) re-judge: a year of 1,000 placements", audit)
        with connection.cursor() as cursor:
            # The same lines (and their exceptions) alone: the lines and breach tables emptied, the lines put back.
            cursor.execute(
                "CREATE TEMP TABLE bench_affected AS SELECT l.* FROM placements_timesheetline l"
                " JOIN compliance_rejudge r ON r.placement_id = l.placement_id"
                " AND l.date BETWEEN r.lines_from AND r.lines_until WHERE l.superseded_at IS NULL"
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_affected_weeks AS SELECT * FROM placements_timesheet"
                " WHERE id IN (SELECT timesheet_id FROM bench_affected)"
            )
            cursor.execute(
                "TRUNCATE compliance_breachline, compliance_breach, compliance_rejudge, compliance_auditrun, "
                "placements_timesheetline, placements_timesheet CASCADE"
            )
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("INSERT INTO placements_timesheet SELECT * FROM bench_affected_weeks")
            cursor.execute("INSERT INTO placements_timesheetline SELECT * FROM bench_affected ORDER BY id")
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("ANALYZE placements_timesheetline")
        affected_empty, affected_empty_seconds = timed("(f) the same lines audited on an empty table", audit)

        with connection.cursor() as cursor:
            # Empty the line and breach tables (TRUNCATE fires no row triggers), then 10,000 lines alone.
            cursor.execute(
                "TRUNCATE compliance_breachline, compliance_breach, compliance_auditrun, "
                "placements_timesheetline, placements_timesheet CASCADE"
            )
            add_lines(cursor, count=10_000, start_week=0)
            cursor.execute("ANALYZE placements_timesheetline")
        empty, empty_seconds = timed("(d) audit of 10,000 lines on an empty table", audit)

        second, second_seconds = timed("second audit (nothing new)", audit)
        print()
        print(
            f"  full audit: {run.lines_checked:,} lines, {run.breaches_found:,} new cases, "
            f"{run.lines_checked / audit_seconds:,.0f} lines/s (build took {build_seconds:.1f} s)"
        )
        print(
            f"  incremental: {incremental.lines_checked:,} lines; empty-table run: {empty.lines_checked:,} lines; "
            f"second run: {second.lines_checked} lines, {second.breaches_found} new cases"
        )
        print(f"  audit/floor        = {audit_seconds / floor_seconds:6.2f}   (target <= 4)")
        print(f"  incremental/empty  = {incremental_seconds / empty_seconds:6.2f}   (target <= 2)")
        print(
            f"  re-judge: {rejudged.lines_rejudged:,} lines judged again (the empty-table run judged "
            f"{affected_empty.lines_checked:,})"
        )
        print(f"  rejudge/affected-empty = {rejudge_seconds / affected_empty_seconds:6.2f}   (target <= 2)")
        print(f"  recount            = {'match' if recount_ok else 'MISMATCH'}")
        return 0 if recount_ok else 1
    finally:
        connection.close()
        if not args.keep:
            drop_databases(url, BENCH_DB)


if __name__ == "__main__":
    sys.exit(main())
