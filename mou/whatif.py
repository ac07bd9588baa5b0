"""The coordinator's what-if (SPEC §5): before a draft MoU version comes into force, which current placements would
be above its caps, and what bringing them within those caps would change in the region's annual cost.

The model, stated on the page and in the API description:

- *Current placements* are those running on a day (default today): started on or before it, not ended before it.
- A placement is *above the draft's caps* when its agreed hourly pay is above the draft's pay cap, or its agreed
  hourly charge above the draft's charge cap, for its role and engagement type (a cap set for the engagement type
  wins over the version's any-engagement cap, as `mou.selectors.cap_for` chooses). A rate equal to the cap is within
  it; a role outside the MoU (`capped=False`), or one the draft sets no cap for, is never above it. The draft is
  judged as if it bound every current placement (once in force it does, from its `binds_existing_from`).
- *Above the caps now* judges the same placements by the version that binds each of them on that day (the version
  in force or, for a placement that started before it, the one it started under until the new one binds it).
  A live cap exception is shown beside a placement, not subtracted: the what-if is about the rates.
- *Annual cost* is what the councils pay: charge rate × 1,665 hours (37 h a week × 45 weeks, the evaluation's
  model of an agency FTE). Bringing pay down to its cap lowers the charge by as much (the agency keeps its on-costs
  and margin) and the charge is brought within its cap, so a placement's saving per hour is the larger of its pay
  excess and its charge excess.

Set-based, in the SQL form of the binding rule that the audit uses (`mou.selectors.binding_version_sql` and
`EFFECTIVE_CAPS_SQL`, checked against the ORM rule by tests/mou/test_binding_sql.py): one query judges every current
placement and tallies the region, each role, agency and authority (GROUPING SETS); one lists the placements above
a cap. No query, and no Python loop, per placement.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from futuresocial.cost import CostAssumptions
from mou.models import EngagementType, MouVersion
from mou.selectors import EFFECTIVE_CAPS_SQL, binding_version_sql, version_in_force

# The evaluation's hours of an agency FTE, from the one cost model (futuresocial/cost.py): 37 h × 45 weeks = 1,665 h.
_EVALUATION = CostAssumptions()
ANNUAL_HOURS = _EVALUATION.hours_per_week * _EVALUATION.weeks_per_year

COST_MODEL = (
    "Annual cost = charge rate × 1,665 hours (37 h a week × 45 weeks, the evaluation's model of an agency FTE). "
    "Bringing a placement within the draft's caps lowers its charge by the larger of its pay excess and its charge "
    "excess per hour (a pay cut is passed on to the charge; the agency keeps its on-costs and margin)."
)

# Every placement running on the day, with the draft's cap and the cap binding it now for its role and engagement
# type (NULL: uncapped), its excesses over each (0 within or uncapped) and whether it is above either.
# Parameters: the binding expression's, then the day, the draft's id, and the annual hours.
JUDGED_CTE = """
WITH caps AS ({effective_caps}),
current_placement AS (
    SELECT p.*, {binding_now} AS now_version_id
      FROM placements_placement p, (SELECT %s::date AS day) AS judged_on
     WHERE p.start_date <= judged_on.day AND (p.end_date IS NULL OR p.end_date >= judged_on.day)
),
excess AS (
    SELECT p.id, p.role_id, p.agency_id, p.authority_id, p.worker_id, p.engagement_type, p.start_date, p.end_date,
           p.pay_rate, p.charge_rate,
           d.max_pay_rate AS draft_pay_cap, d.max_charge_rate AS draft_charge_cap,
           n.max_pay_rate AS now_pay_cap, n.max_charge_rate AS now_charge_cap,
           -- The pay each cap compares: with the on-costs where its version counts them (mou.rules.pay_for_cap).
           COALESCE(GREATEST(p.pay_rate + CASE WHEN d.counts_on_costs THEN p.on_costs ELSE 0 END - d.max_pay_rate,
                             0.00), 0.00) AS draft_pay_excess,
           COALESCE(GREATEST(p.charge_rate - d.max_charge_rate, 0.00), 0.00) AS draft_charge_excess,
           COALESCE(GREATEST(p.pay_rate + CASE WHEN n.counts_on_costs THEN p.on_costs ELSE 0 END - n.max_pay_rate,
                             0.00), 0.00) AS now_pay_excess,
           COALESCE(GREATEST(p.charge_rate - n.max_charge_rate, 0.00), 0.00) AS now_charge_excess
      FROM current_placement p
      LEFT JOIN caps d
        ON d.version_id = %s AND d.role_id = p.role_id AND d.engagement_type = p.engagement_type
      LEFT JOIN caps n
        ON n.version_id = p.now_version_id AND n.role_id = p.role_id AND n.engagement_type = p.engagement_type
),
judged AS (
    SELECT e.*,
           e.draft_pay_excess > 0 OR e.draft_charge_excess > 0 AS above_draft_cap,
           e.now_pay_excess > 0 OR e.now_charge_excess > 0 AS above_cap_now,
           -GREATEST(e.draft_pay_excess, e.draft_charge_excess) * %s AS annual_change
      FROM excess e
)
"""

TALLY_SQL = """
SELECT GROUPING(r.id) = 0 AS is_role, GROUPING(a.id) = 0 AS is_agency, GROUPING(au.id) = 0 AS is_authority,
       r.code, r.name, r.rank, r.capped, a.id, a.name, au.code, au.name,
       count(*),
       count(*) FILTER (WHERE j.above_cap_now),
       count(*) FILTER (WHERE j.above_draft_cap),
       count(*) FILTER (WHERE j.above_draft_cap AND NOT j.above_cap_now),
       count(*) FILTER (WHERE j.above_cap_now AND NOT j.above_draft_cap),
       COALESCE(sum(j.charge_rate) * %s, 0.00),
       COALESCE(sum(j.annual_change), 0.00)
  FROM judged j
  JOIN mou_role r ON r.id = j.role_id
  JOIN agencies_agency a ON a.id = j.agency_id
  JOIN workforce_authority au ON au.id = j.authority_id
 GROUP BY GROUPING SETS ((), (r.id, r.code, r.name, r.rank, r.capped), (a.id, a.name), (au.id, au.code, au.name))
 -- The agencies' table lists only agencies with a placement above a cap, now or under the draft.
HAVING GROUPING(a.id) = 1 OR count(*) FILTER (WHERE j.above_cap_now OR j.above_draft_cap) > 0
"""

TALLY_FIELDS = [
    "current_placements",
    "above_cap_now",
    "above_draft_cap",
    "newly_above_cap",
    "no_longer_above_cap",
    "annual_cost",
    "annual_change",
]

PLACEMENTS_SQL = """
SELECT j.id, w.swe_number, j.agency_id, a.name, au.code, au.name, r.code, j.engagement_type, j.start_date, j.end_date,
       j.pay_rate, j.charge_rate, j.draft_pay_cap, j.draft_charge_cap, j.draft_pay_excess, j.draft_charge_excess,
       j.now_pay_cap, j.now_charge_cap, j.above_cap_now, j.above_draft_cap, j.annual_change,
       (SELECT max(e.valid_until) FROM placements_capexception e
         WHERE e.placement_id = j.id AND e.valid_from <= %s AND e.valid_until >= %s) AS cap_exception_until
  FROM judged j
  JOIN placements_worker w ON w.id = j.worker_id
  JOIN agencies_agency a ON a.id = j.agency_id
  JOIN workforce_authority au ON au.id = j.authority_id
  JOIN mou_role r ON r.id = j.role_id
 WHERE j.above_draft_cap OR j.above_cap_now
 ORDER BY j.annual_change, au.name, j.id
"""


@dataclass(frozen=True)
class JudgedPlacement:
    """A current placement above the draft's caps or above the caps binding it now."""

    id: int
    worker_swe_number: str
    agency_id: int
    agency_name: str
    authority_code: str
    authority_name: str
    role_code: str
    engagement_type: str
    start_date: date
    end_date: date | None
    pay_rate: Decimal
    charge_rate: Decimal
    draft_pay_cap: Decimal | None
    draft_charge_cap: Decimal | None
    pay_excess: Decimal  # £/h above the draft's pay cap
    charge_excess: Decimal  # £/h above the draft's charge cap
    now_pay_cap: Decimal | None
    now_charge_cap: Decimal | None
    above_cap_now: bool
    above_draft_cap: bool
    annual_change: Decimal  # £ a year if brought within the draft's caps (≤ 0)
    cap_exception_until: date | None  # a live cap exception covers it on the day, until then

    @property
    def engagement_type_label(self):
        return EngagementType(self.engagement_type).label


@dataclass
class WhatIf:
    version: MouVersion
    on: date
    in_force: MouVersion | None
    totals: dict  # the region: TALLY_FIELDS
    by_role: list[dict]  # role, role_name, capped + TALLY_FIELDS
    by_agency: list[dict]  # agency (id), agency_name + TALLY_FIELDS
    by_authority: list[dict]  # authority (code), authority_name + TALLY_FIELDS
    placements: list[JudgedPlacement]  # largest saving first
    annual_hours: Decimal = ANNUAL_HOURS
    cost_model: str = COST_MODEL


def what_if(*, version: MouVersion, on: date | None = None) -> WhatIf:
    """What the draft `version` would change for the placements running on `on` (default today).

    Four queries: the published versions (for the binding rule in SQL), the version in force, the tallies, the list.
    """
    if not version.is_draft:
        raise ValidationError(
            f"The what-if is for draft versions; {version} is {version.get_status_display().lower()}."
        )
    on = on or timezone.localdate()
    binding_now, binding_params = binding_version_sql(started_on="p.start_date", worked_on="judged_on.day")
    cte = JUDGED_CTE.format(effective_caps=EFFECTIVE_CAPS_SQL, binding_now=binding_now)
    cte_params = binding_params + [on, version.pk, ANNUAL_HOURS]
    with connection.cursor() as cursor:
        cursor.execute(cte + TALLY_SQL, cte_params + [ANNUAL_HOURS])
        tallies = cursor.fetchall()
        cursor.execute(cte + PLACEMENTS_SQL, cte_params + [on, on])
        placements = [JudgedPlacement(*row) for row in cursor.fetchall()]
    totals, by_role, by_agency, by_authority = {}, [], [], []
    for is_role, is_agency, is_authority, *labels, count_and_money in _split(tallies):
        role_code, role_name, role_rank, capped, agency_id, agency_name, authority_code, authority_name = labels
        if is_role:
            by_role.append({"role": role_code, "role_name": role_name, "capped": capped, "rank": role_rank})
            by_role[-1].update(count_and_money)
        elif is_agency:
            by_agency.append({"agency": agency_id, "agency_name": agency_name, **count_and_money})
        elif is_authority:
            by_authority.append({"authority": authority_code, "authority_name": authority_name, **count_and_money})
        else:
            totals = count_and_money
    by_role.sort(key=lambda row: (row["rank"], row["role"]))
    by_agency.sort(key=lambda row: (row["annual_change"], row["agency_name"]))
    by_authority.sort(key=lambda row: row["authority_name"])
    return WhatIf(
        version=version,
        on=on,
        in_force=version_in_force(on=on),
        totals=totals or dict.fromkeys(TALLY_FIELDS, 0),
        by_role=by_role,
        by_agency=by_agency,
        by_authority=by_authority,
        placements=placements,
    )


def _split(rows):
    """Each tally row as (is_role, is_agency, is_authority, 8 labels, {tally field: value})."""
    for row in rows:
        yield (*row[:11], dict(zip(TALLY_FIELDS, row[11:], strict=True)))
