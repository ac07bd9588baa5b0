"""The cost of agency work against employed staff: the evaluation's model (FutureSocial evaluation 2020, Figure 4).

    agency cost per FTE   = average hourly rate × hours per week × weeks per year
    employed cost per FTE = salary × (1 + pension and NI % + overheads %)
    saving per FTE moved  = agency cost per FTE − employed cost per FTE

With its published inputs (£39.26 an hour, 37 hours, 45 weeks, £35,000, 20 % and 15 %) that is £65,368, £47,250
and £18,118. Pure functions on Decimal: no database, each figure rounded to whole pounds at the end.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from futuresocial.money import PENNY

POUND = Decimal("1")


def whole_pounds(amount: Decimal) -> Decimal:
    return amount.quantize(POUND, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CostAssumptions:
    """The model's inputs, defaulting to the evaluation's (percentages as numbers: 20 means 20 %)."""

    hourly_rate: Decimal = Decimal("39.26")
    hours_per_week: Decimal = Decimal("37")
    weeks_per_year: Decimal = Decimal("45")
    salary: Decimal = Decimal("35000")
    pension_and_ni_percent: Decimal = Decimal("20")
    overheads_percent: Decimal = Decimal("15")


@dataclass(frozen=True)
class CostPerFte:
    agency: Decimal
    employed: Decimal
    saving: Decimal


def agency_cost_per_fte(a: CostAssumptions) -> Decimal:
    """Annual cost of one agency FTE, unrounded (the cost-benefit model carries it into further sums, as the
    evaluation's spreadsheet did)."""
    return a.hourly_rate * a.hours_per_week * a.weeks_per_year


def employed_cost_per_fte(a: CostAssumptions) -> Decimal:
    """Annual cost of one employed FTE with its on-costs, unrounded."""
    return a.salary * (1 + (a.pension_and_ni_percent + a.overheads_percent) / 100)


def cost_per_fte(assumptions: CostAssumptions) -> CostPerFte:
    """Annual cost of one FTE through an agency and employed, and the saving from moving one to employment."""
    agency = agency_cost_per_fte(assumptions)
    employed = employed_cost_per_fte(assumptions)
    return CostPerFte(
        agency=whole_pounds(agency), employed=whole_pounds(employed), saving=whole_pounds(agency - employed)
    )


@dataclass(frozen=True)
class RoleWork:
    """Agency work of one role in a selection: hours and what was charged for them (Σ charge rate × hours)."""

    role_id: int
    capped: bool
    hours: Decimal
    charged: Decimal
    hours_under_caps: Decimal  # of `hours`, the work bound by an MoU version
    charged_under_caps: Decimal


def spend_at_pre_cap_rates(work: Iterable[RoleWork], pre_cap_rates: Mapping[int, Decimal]) -> Decimal | None:
    """What `work` would have cost had each capped role's work under the caps been charged at its rate from before
    the caps (`pre_cap_rates`, per role id). Work before the first version, and roles outside the MoU, cost what
    they cost. None when a capped role worked under the caps has no pre-cap rate (the answer would be a guess)."""
    total = Decimal(0)
    for one in work:
        if not one.capped or not one.hours_under_caps:
            total += one.charged
            continue
        rate = pre_cap_rates.get(one.role_id)
        if rate is None:
            return None
        total += one.charged - one.charged_under_caps + one.hours_under_caps * rate
    return total.quantize(PENNY, rounding=ROUND_HALF_UP)
