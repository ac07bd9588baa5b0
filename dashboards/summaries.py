"""Refreshing the dashboards' pre-computed summaries, set-based in SQL: `RateSummary` from the timesheet lines, then
`MonthlyRates` and `AgencyLines` added up from it.

Only current lines count: a line whose week was resubmitted (`superseded_at` set) leaves every summary.

A group is (month, authority, agency, role, engagement type); its rows (one per binding MoU version) are always
recomputed whole, from the current lines of the placements in the group, so a refresh is idempotent and never adds
or subtracts by hand. Which groups a refresh recomputes:

- new timesheet lines (ids above the watermark): the groups of their timesheets' weeks, both months of a week that
  straddles two (a resubmission supersedes lines of the same week, so this also takes the replaced lines out);
- placements changed since the last refresh (their history, above its watermark): every group their lines were or
  are in (a placement moved to another authority leaves the old group and joins the new);
- everything, when the published MoU versions or their caps changed (the binding version or the cap of any line may
  have changed), on `full=True` (`manage.py refresh_dashboards --full`, beat each night), or on the first refresh.

The rows of `MonthlyRates` and `AgencyLines` that the recomputed groups feed (their authority's, the region's and the
agency's) are added up again from `RateSummary` in the same transaction; a page never sees one without the other.

The line watermark is fixed the way the audit fixes its own (`placements.watermark.hold_audit_watermark`): under the
writers' advisory lock, so no line with a lower id can commit after it.
"""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from dashboards.models import AgencyLines, MonthlyRates, RateSummary, SummaryWatermark
from mou.selectors import EFFECTIVE_CAPS_SQL, binding_version_sql
from placements.models import Placement
from placements.watermark import WATERMARK_LOCK

# One refresh at a time: a second waits for the first and then finds little or nothing left to do.
REFRESH_LOCK = 7_301_016

SUMMARY = RateSummary._meta.db_table
MONTHLY = MonthlyRates._meta.db_table
AGENCY_LINES = AgencyLines._meta.db_table
# Past this many groups, an incremental refresh would cost more than rebuilding everything (e.g. a bulk load).
INCREMENTAL_LIMIT = 2_000
PLACEMENT_EVENTS = Placement._meta.get_field("events").related_model._meta.db_table

# The rules the summaries depend on: published versions (which binds a day of work) and their caps.
RULES_FINGERPRINT_SQL = """
    SELECT md5(
        coalesce((SELECT string_agg(concat_ws(',', id, effective_from, binds_existing_from), ';' ORDER BY id)
                    FROM mou_mouversion WHERE status <> 'draft'), '')
        || '|' ||
        coalesce((SELECT string_agg(concat_ws(',', c.id, c.version_id, c.role_id, c.engagement_type, c.max_pay_rate,
                                              c.max_charge_rate, r.capped), ';' ORDER BY c.id)
                    FROM mou_cap c
                    JOIN mou_role r ON r.id = c.role_id
                    JOIN mou_mouversion v ON v.id = c.version_id AND v.status <> 'draft'), ''))
"""

MEASURES = (
    "lines, hours, hours_above_pay_cap, hours_above_charge_cap, pay_amount, charge_amount, pay_squares,"
    " charge_squares, min_pay_rate, max_pay_rate, min_charge_rate, max_charge_rate"
)
COLUMNS = f"month, authority_id, agency_id, role_id, engagement_type, mou_version_id, {MEASURES}, placement_ids"
# MonthlyRates' measures, added up from RateSummary rows `s`.
ROLLED_UP = (
    "sum(s.lines) AS lines, sum(s.hours) AS hours, sum(s.hours_above_pay_cap) AS hours_above_pay_cap,"
    " sum(s.hours_above_charge_cap) AS hours_above_charge_cap, sum(s.pay_amount) AS pay_amount,"
    " sum(s.charge_amount) AS charge_amount, sum(s.pay_squares) AS pay_squares,"
    " sum(s.charge_squares) AS charge_squares, min(s.min_pay_rate) AS min_pay_rate,"
    " max(s.max_pay_rate) AS max_pay_rate, min(s.min_charge_rate) AS min_charge_rate,"
    " max(s.max_charge_rate) AS max_charge_rate"
)


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    groups: int  # groups recomputed (all rows written, for a full rebuild)
    rows: int  # summary rows written
    line_id: int  # the new watermark
    seconds: float


def _aggregate_sql(*, joins: str) -> tuple[str, list]:
    """INSERT of the summary rows of the current lines that `joins` select (`l` lines, `p` placements)."""
    version_sql, params = binding_version_sql(started_on="p.start_date", worked_on="l.date")
    sql = f"""
        INSERT INTO {SUMMARY} ({COLUMNS})
        WITH caps AS MATERIALIZED ({EFFECTIVE_CAPS_SQL})
        SELECT date_trunc('month', l.date)::date, p.authority_id, p.agency_id, p.role_id, p.engagement_type,
               v.version_id, count(*), sum(l.hours),
               -- Hours above the pay cap as the audit counts them (on-costs too where the version says so).
               coalesce(sum(l.hours) FILTER (
                   WHERE l.pay_rate + CASE WHEN c.counts_on_costs THEN p.on_costs ELSE 0 END > c.max_pay_rate), 0),
               coalesce(sum(l.hours) FILTER (WHERE l.charge_rate > c.max_charge_rate), 0),
               sum(l.pay_rate * l.hours), sum(l.charge_rate * l.hours),
               sum(l.pay_rate * l.pay_rate * l.hours), sum(l.charge_rate * l.charge_rate * l.hours),
               min(l.pay_rate), max(l.pay_rate), min(l.charge_rate), max(l.charge_rate),
               array_agg(DISTINCT p.id ORDER BY p.id)
          FROM {joins}
         CROSS JOIN LATERAL (SELECT {version_sql} AS version_id) v
          LEFT JOIN caps c ON c.version_id = v.version_id AND c.role_id = p.role_id
                          AND c.engagement_type = p.engagement_type
         WHERE l.superseded_at IS NULL
         GROUP BY 1, 2, 3, 4, 5, 6
    """
    return sql, params


def _line_watermark(cursor) -> int:
    """The highest line id below which every line has committed (writers hold WATERMARK_LOCK shared until their
    commit; taking it exclusively waits for them). Session-level and released at once: writers wait only for this."""
    cursor.execute("SELECT pg_advisory_lock(%s)", [WATERMARK_LOCK])
    try:
        cursor.execute("SELECT coalesce(max(id), 0) FROM placements_timesheetline")
        return cursor.fetchone()[0]
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [WATERMARK_LOCK])


def summaries_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the summaries up to date (see the module's docstring for what is recomputed). Safe to run at any time,
    any number of times, concurrently: the result is the same."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        state, _ = SummaryWatermark.objects.select_for_update().get_or_create(pk=1)
        to_line = _line_watermark(cursor)
        cursor.execute(f"SELECT coalesce(max(pgh_id), 0) FROM {PLACEMENT_EVENTS}")
        to_event = cursor.fetchone()[0]
        cursor.execute(RULES_FINGERPRINT_SQL)
        fingerprint = cursor.fetchone()[0]
        full = full or state.refreshed_at is None or fingerprint != state.rules_fingerprint
        if not full:
            touched = _rebuild_touched(
                cursor, from_line=state.line_id, to_line=to_line, from_event=state.placement_event_id
            )
            full = touched is None  # so much changed that rebuilding everything is quicker
        if full:
            groups, rows = _rebuild_all(cursor)
        else:
            groups, rows = touched
        now = timezone.now()
        seconds = time.perf_counter() - started
        SummaryWatermark.objects.filter(pk=1).update(
            line_id=max(to_line, state.line_id),
            placement_event_id=max(to_event, state.placement_event_id),
            rules_fingerprint=fingerprint,
            refreshed_at=now,
            full_rebuild_at=now if full else state.full_rebuild_at,
            last_groups=groups,
            last_seconds=seconds,
        )
    return RefreshResult(full=full, groups=groups, rows=rows, line_id=max(to_line, state.line_id), seconds=seconds)


def _rebuild_all(cursor) -> tuple[int, int]:
    # DELETE rather than TRUNCATE: readers keep seeing the old figures until this commits.
    cursor.execute(f"DELETE FROM {SUMMARY}")
    sql, params = _aggregate_sql(
        joins="placements_timesheetline l JOIN placements_placement p ON p.id = l.placement_id"
    )
    cursor.execute(sql, params)
    rows = cursor.rowcount
    cursor.execute(f"ANALYZE {SUMMARY}")
    cursor.execute(f"DELETE FROM {MONTHLY}")
    cursor.execute(f"DELETE FROM {AGENCY_LINES}")
    _roll_up(cursor, where_authority="true", where_region="true", where_agency="true")
    return rows, rows


def _roll_up(cursor, *, where_authority: str, where_region: str, where_agency: str) -> None:
    """MonthlyRates rows from RateSummary rows `s`: per authority where `where_authority` holds, and the region's
    totals (authority NULL) where `where_region` holds (a condition on month, role and engagement type only, so
    that each total adds up every authority); AgencyLines where `where_agency` holds (on agency and authority)."""
    cursor.execute(_monthly_sql(per_authority=True, where=where_authority))
    cursor.execute(_monthly_sql(per_authority=False, where=where_region))
    cursor.execute(
        f"""
        INSERT INTO {AGENCY_LINES} (agency_id, authority_id, lines, hours)
        SELECT s.agency_id, s.authority_id, sum(s.lines), sum(s.hours) FROM {SUMMARY} s WHERE {where_agency}
         GROUP BY 1, 2
        """
    )


def _monthly_sql(*, per_authority: bool, where: str) -> str:
    """INSERT of MonthlyRates rows added up from the RateSummary rows `s` where `where` holds: one per authority, or
    the region's (authority NULL). With each row, the distinct placements and authorities it rests on (what the
    disclosure rule weighs), counted from the summary rows' placement ids: not a sum of counts, which would count
    twice a placement bound by two versions in one month."""
    keys = (
        ["month", "authority_id", "role_id", "engagement_type"]
        if per_authority
        else ["month", "role_id", "engagement_type"]
    )
    grouped = ", ".join(f"s.{key}" for key in keys) + ", s.mou_version_id IS NULL AS before_caps"
    by = ", ".join(str(index) for index in range(1, len(keys) + 2))
    names = ", ".join([*keys, "before_caps"])
    authority = "sums.authority_id" if per_authority else "NULL"
    measures = ", ".join(f"sums.{name.strip()}" for name in MEASURES.split(","))
    return f"""
        INSERT INTO {MONTHLY} (month, authority_id, role_id, engagement_type, before_caps, {MEASURES},
                               placements, authorities)
        WITH picked AS MATERIALIZED (SELECT * FROM {SUMMARY} s WHERE {where}),
        sums AS (
            SELECT {grouped}, {ROLLED_UP}, count(DISTINCT s.authority_id) AS authorities
              FROM picked s GROUP BY {by}
        ), counted AS (
            SELECT {grouped}, count(DISTINCT placement_id) AS placements
              FROM picked s CROSS JOIN unnest(s.placement_ids) AS placement_id GROUP BY {by}
        )
        SELECT sums.month, {authority}, sums.role_id, sums.engagement_type, sums.before_caps, {measures},
               counted.placements, sums.authorities
          FROM sums JOIN counted USING ({names})
    """


def _rebuild_touched(cursor, *, from_line: int, to_line: int, from_event: int) -> tuple[int, int] | None:
    """Recompute the groups touched since the watermarks; (groups, rows written), or None past INCREMENTAL_LIMIT."""
    cursor.execute("DROP TABLE IF EXISTS summary_groups")
    # The groups to recompute. A week's two months: the month of its Monday and of its Sunday.
    cursor.execute(
        f"""
        CREATE TEMP TABLE summary_groups ON COMMIT DROP AS
        WITH touched_weeks AS (
            SELECT DISTINCT t.placement_id, t.week_ending
              FROM placements_timesheetline l
              JOIN placements_timesheet t ON t.id = l.timesheet_id
             WHERE l.id > %s AND l.id <= %s
        ), changed_placements AS (
            SELECT DISTINCT pgh_obj_id AS placement_id FROM {PLACEMENT_EVENTS}
             WHERE pgh_id > %s AND pgh_label = 'update'
        ), changed_weeks AS (
            SELECT t.placement_id, t.week_ending FROM placements_timesheet t
              JOIN changed_placements c ON c.placement_id = t.placement_id
        ), keys AS (
            -- a changed placement's earlier authority, agency, role and engagement type, from its history
            SELECT e.pgh_obj_id AS placement_id, e.authority_id, e.agency_id, e.role_id, e.engagement_type
              FROM {PLACEMENT_EVENTS} e JOIN changed_placements c ON c.placement_id = e.pgh_obj_id
            UNION
            SELECT p.id, p.authority_id, p.agency_id, p.role_id, p.engagement_type
              FROM placements_placement p
             WHERE p.id IN (SELECT placement_id FROM touched_weeks UNION SELECT placement_id FROM changed_placements)
        ), weeks AS (
            SELECT * FROM touched_weeks UNION SELECT * FROM changed_weeks
        )
        SELECT DISTINCT m.month, k.authority_id, k.agency_id, k.role_id, k.engagement_type
          FROM weeks w
          JOIN keys k ON k.placement_id = w.placement_id
         CROSS JOIN LATERAL (VALUES (date_trunc('month', w.week_ending - 6)::date),
                                    (date_trunc('month', w.week_ending)::date)) AS m (month)
        """,
        [from_line, to_line, from_event],
    )
    groups = cursor.rowcount
    if not groups:
        return 0, 0
    if groups > INCREMENTAL_LIMIT:
        return None
    cursor.execute("ANALYZE summary_groups")  # temporary tables get no statistics otherwise
    cursor.execute(
        f"""
        DELETE FROM {SUMMARY} s USING summary_groups g
         WHERE s.month = g.month AND s.authority_id = g.authority_id AND s.agency_id = g.agency_id
           AND s.role_id = g.role_id AND s.engagement_type = g.engagement_type
        """
    )
    sql, params = _aggregate_sql(
        joins="""summary_groups g
                 JOIN placements_placement p
                   ON p.authority_id = g.authority_id AND p.agency_id = g.agency_id AND p.role_id = g.role_id
                  AND p.engagement_type = g.engagement_type
                 JOIN placements_timesheetline l
                   ON l.placement_id = p.id AND l.date >= g.month AND l.date < g.month + interval '1 month'"""
    )
    cursor.execute(sql, params)
    rows = cursor.rowcount
    # The monthly rates of the groups' authorities, and the region's, for the months, roles and engagement types.
    authorities = (
        "(s.month, s.authority_id, s.role_id, s.engagement_type)"
        " IN (SELECT month, authority_id, role_id, engagement_type FROM summary_groups)"
    )
    region = "(s.month, s.role_id, s.engagement_type) IN (SELECT month, role_id, engagement_type FROM summary_groups)"
    agencies = "(s.agency_id, s.authority_id) IN (SELECT agency_id, authority_id FROM summary_groups)"
    cursor.execute(
        f"DELETE FROM {MONTHLY} s WHERE CASE WHEN s.authority_id IS NULL THEN {region} ELSE {authorities} END"
    )
    cursor.execute(f"DELETE FROM {AGENCY_LINES} s WHERE {agencies}")
    _roll_up(cursor, where_authority=authorities, where_region=region, where_agency=agencies)
    return groups, rows
