"""Benchmark of the list pages at scale: prints figures, asserts nothing about time.

    .venv/bin/python bench/pages.py [--placements 2000] [--agencies 40] [--cases 200000] [--runs 7] [--keep] [--reuse]

Builds the dashboards bench's region twice (`bench_pages_10k` and `bench_pages_1m`: 10,000 and 1,000,000 timesheet
lines, audited through the audit's own code), then gives the large one `--cases` breach cases in all (the audit's,
and reports by a person for the rest, spread over agencies, authorities, statuses and assignees, detected over two
years) and a thousand each of corrective actions and questions. The small one gets `--small-cases` cases in all and
60 corrective actions and questions. Both give the bench agency 60 of their actions. So each list shows a full page
on both (the agency's open cases were 12 rows against 50, its actions 2 against 23), and the two compare the cost of
the same page; the `rows` column says how many rows each page's first table listed. The rows are written with the
triggers off, so the maintained counts of cases are rebuilt afterwards (`breach_counts_rebuild`). Each list page's
server time (Django's test Client: middleware, view, queries, template) and query count are measured alternately on
the two databases, for the coordinator, a council and an agency, median of --runs after a warm-up request, and the
ratio large/small printed (target <= 1.5 for every list page).

--keep leaves the two databases; --reuse measures them again (after migrating them) without building them.
"""

import argparse
import statistics
import sys

from common import Stopwatch, drop_databases, recreate_database, server_url, setup_django, with_database
from dashboard import add_weeks, build_region, close_some_cases

SMALL_DB, LARGE_DB = "bench_pages_10k", "bench_pages_1m"

# (persona, page): the lists a person works from, with the filters of their worklist.
PAGES = [
    ("coordinator", "/"),
    ("coordinator", "/breaches/"),
    ("coordinator", "/breaches/?status=unresolved&assignee=none"),
    ("coordinator", "/breaches/?status=unresolved&sort=detected"),
    ("coordinator", "/breaches/?sort=-excess&page=20"),
    ("coordinator", "/placements/"),
    ("coordinator", "/corrective-actions/"),
    ("coordinator", "/queries/?state=unanswered"),
    ("council", "/"),
    ("council", "/breaches/"),
    ("council", "/placements/?state=active"),
    ("agency", "/"),
    ("agency", "/breaches/?status=unresolved"),
    ("agency", "/placements/"),
    ("agency", "/corrective-actions/"),
]


def add_cases(cursor, *, cases: int) -> int:
    """Reports by a person up to `cases` cases in all: random placements (their agency and authority), statuses
    (two thirds still open or under review), a third assigned to the coordinator, detected over the last two years.
    Triggers off (history, checks): the rows are consistent by construction."""
    cursor.execute("SELECT count(*) FROM compliance_breach")
    missing = max(0, cases - cursor.fetchone()[0])
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SELECT setseed(0.2019)")
    cursor.execute(
        """
        INSERT INTO compliance_breach (agency_id, authority_id, placement_id, rule, source, status, severity,
                                       assignee_id, description, dismissed_reason, excess_amount, excess_hours,
                                       lines_count, detected_at, updated_at)
        SELECT p.agency_id, p.authority_id, p.id, 'manual', 'manual',
               CASE WHEN x.u1 < 0.45 THEN 'open' WHEN x.u1 < 0.66 THEN 'under_review' WHEN x.u1 < 0.9 THEN 'resolved'
                    ELSE 'dismissed' END,
               CASE WHEN x.u2 < 0.2 THEN 'serious' ELSE 'minor' END,
               CASE WHEN x.u3 < 0.33 THEN (SELECT id FROM accounts_user WHERE username = 'bench-coordinator') END,
               'Bench report ' || x.g, CASE WHEN x.u1 >= 0.9 THEN 'bench' ELSE '' END,
               round((x.u4 * 500)::numeric, 2), 0, 0,
               now() - x.u5 * interval '730 days', now()
          FROM (SELECT g, random() u1, random() u2, random() u3, random() u4, random() u5, random() u6
                  FROM generate_series(1, %s) g) x
          JOIN LATERAL (SELECT id, agency_id, authority_id FROM placements_placement
                         WHERE id = (SELECT min(id) FROM placements_placement)
                               + floor(x.u6 * (SELECT count(*) FROM placements_placement))::int) p ON true
        """,
        [missing],
    )
    cursor.execute("SET session_replication_role = DEFAULT")
    return missing


def add_agreements_and_questions(cursor, *, count: int, agency: int) -> None:
    """`count` corrective actions (issued, drafts, lapsed) citing a case of their agency each, with a
    remedial action, and `count` questions, a third unanswered. `agency` (the bench agency's) gets 60 of the actions
    on both databases, so its list shows a full page on each (2 rows against 23 measured rendering, not scale)."""
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        """
        WITH chosen AS (
            (SELECT id, agency_id FROM compliance_breach WHERE agency_id = %(agency)s ORDER BY id LIMIT 60)
            UNION ALL
            (SELECT id, agency_id FROM compliance_breach WHERE agency_id <> %(agency)s ORDER BY id
              LIMIT %(count)s - 60)
        ), picked AS (
            SELECT id, agency_id, row_number() OVER (ORDER BY id) n FROM chosen
        ), made AS (
            INSERT INTO compliance_correctiveaction (agency_id, status, summary, signed_name, created_at, issued_at)
            SELECT agency_id, (ARRAY['issued', 'draft', 'lapsed', 'issued'])[1 + mod(n, 4)::int], 'Bench', '',
                   now() - n * interval '1 hour', now() - n * interval '1 hour'
              FROM picked ORDER BY n
            RETURNING id
        ), numbered AS (SELECT id, row_number() OVER (ORDER BY id) n FROM made)
        INSERT INTO compliance_correctiveaction_breaches (correctiveaction_id, breach_id)
        SELECT numbered.id, picked.id FROM numbered JOIN picked USING (n)
        """,
        {"count": count, "agency": agency},
    )
    cursor.execute(
        """
        INSERT INTO compliance_correctiveactionitem (corrective_action_id, description, due_on)
        SELECT id, 'Bring the rates within the cap', current_date + 30 FROM compliance_correctiveaction
        """
    )
    cursor.execute(
        """
        INSERT INTO compliance_query (agency_id, asked_by_kind, asked_by_name, channel, subject, question, answer,
                                      asked_at, answered_at)
        SELECT (SELECT min(id) FROM agencies_agency) + mod(g, 40), 'agency', 'Bench asker', 'email',
               'Question ' || g, 'Does the cap apply?', CASE WHEN mod(g, 3) = 0 THEN '' ELSE 'Yes.' END,
               now() - g * interval '1 hour', CASE WHEN mod(g, 3) = 0 THEN NULL ELSE now() END
          FROM generate_series(1, %s) g
        """,
        [count],
    )
    cursor.execute("SET session_replication_role = DEFAULT")


def table_rows(content: bytes) -> int:
    """How many rows the page's first table body holds: the page of the list (on a home page, its first table)."""
    parts = content.split(b"<tbody", 1)
    return parts[1].split(b"</tbody>", 1)[0].count(b"<tr") if len(parts) == 2 else 0


def build(args, url, use) -> None:
    """Both databases: the region (the large one a copy of the small), their lines, the audit, the cases."""
    from django.db import connection
    from django.db.models import Count

    from accounts.models import User
    from agencies.models import Agency
    from compliance.audit import audit_perform
    from compliance.counts import breach_counts_rebuild
    from compliance.models import AuditRun, Breach, CorrectiveAction, Query
    from region.models import Authority

    with connection.cursor() as cursor:
        build_region(cursor, placements=args.placements, agencies=args.agencies)
    User.objects.create(username="bench-coordinator", role=User.Role.COORDINATOR)
    User.objects.create(
        username="bench-council", role=User.Role.COUNCIL, authority=Authority.objects.get(code="E08000029")
    )
    # The agency with the most placements: its lists are the longest an agency has.
    busiest = Agency.objects.annotate(n=Count("placements")).order_by("-n")[0]
    User.objects.create(username="bench-agency", role=User.Role.AGENCY, agency=busiest)
    connection.close()
    recreate_database(url, LARGE_DB, template=SMALL_DB)  # the same region, row for row

    for database, small in ((SMALL_DB, True), (LARGE_DB, False)):
        use(database)
        with connection.cursor() as cursor, Stopwatch() as timer:
            added = add_weeks(cursor, small=small)
        run = audit_perform(run_id=AuditRun.objects.create(trigger="bench").pk)
        with connection.cursor() as cursor:
            close_some_cases(cursor)
            reported = add_cases(cursor, cases=args.small_cases if small else args.cases)
            add_agreements_and_questions(cursor, count=60 if small else 1_000, agency=busiest.pk)
        breach_counts_rebuild()  # the cases above were written with the triggers off
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"  {database}: {added:,} lines (built in {timer.seconds:.1f} s), audit: {run.breaches_found:,} cases; "
            f"{reported:,} reported cases added: {Breach.objects.count():,} cases, "
            f"{CorrectiveAction.objects.count():,} corrective actions, {Query.objects.count():,} questions"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--placements", type=int, default=2_000)
    parser.add_argument("--agencies", type=int, default=40)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--small-cases", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the two databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure the databases a --keep run left (migrated)")
    args = parser.parse_args()

    url = server_url()
    if not args.reuse:
        recreate_database(url, SMALL_DB)
    setup_django(with_database(url, SMALL_DB))
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    def use(name):
        connection.close()
        connection.settings_dict["NAME"] = name

    if args.reuse:
        print(f"Databases {SMALL_DB} and {LARGE_DB}: reused, migrating…")
    else:
        print(f"Databases {SMALL_DB} and {LARGE_DB}: migrating, building the region…")
    call_command("migrate", verbosity=0)
    try:
        if args.reuse:
            use(LARGE_DB)
            call_command("migrate", verbosity=0)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        else:
            build(args, url, use)
        clients = {}
        for database in (SMALL_DB, LARGE_DB):
            use(database)
            for persona in ("coordinator", "council", "agency"):
                client = Client()
                client.force_login(User.objects.get(username=f"bench-{persona}"))
                clients[database, persona] = client

        results = []
        for persona, page in PAGES:
            samples = {SMALL_DB: [], LARGE_DB: []}
            queries, rows = {}, {}
            for _ in range(args.runs):
                for database in (SMALL_DB, LARGE_DB):  # alternately: both see the same load
                    use(database)
                    client = clients[database, persona]
                    assert client.get(page).status_code == 200, page  # warm-up (and the connection)
                    with CaptureQueriesContext(connection) as captured, Stopwatch() as request:
                        response = client.get(page)
                    assert response.status_code == 200, page
                    samples[database].append(request.seconds)
                    queries[database] = len(captured)
                    rows[database] = table_rows(response.content)
            small_s, large_s = statistics.median(samples[SMALL_DB]), statistics.median(samples[LARGE_DB])
            results.append(
                (persona, page, small_s, large_s, queries[SMALL_DB], queries[LARGE_DB], rows[SMALL_DB], rows[LARGE_DB])
            )

        print()
        print(
            f"  {'page':<52}{'10k lines':>11}{'1M lines':>11}{'ratio':>7}{'queries':>10}{'rows':>10}"
            f"   (median of {args.runs})"
        )
        worst = 0.0
        for persona, page, small_s, large_s, small_q, large_q, small_r, large_r in results:
            ratio = large_s / small_s
            worst = max(worst, ratio)
            label = f"{persona} {page}"
            print(
                f"  {label:<52}{small_s * 1000:>8.1f} ms{large_s * 1000:>8.1f} ms{ratio:>7.2f}"
                f"{small_q:>5} /{large_q:>3}{small_r:>5} /{large_r:>3}"
            )
        print(f"  worst ratio = {worst:.2f}   (target <= 1.5)")
        return 0
    finally:
        connection.close()
        if not args.keep:
            drop_databases(url, SMALL_DB, LARGE_DB)


if __name__ == "__main__":
    sys.exit(main())
