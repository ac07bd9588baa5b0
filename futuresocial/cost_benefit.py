"""The evaluation's cost-benefit model, whole (FutureSocial evaluation 2020, "Cost benefit analysis" and Appendix 3,
"The CBA tool"): the programme's costs, five kinds of saving, present values at the Treasury's 3.5 %, net present
value, benefit-cost ratio, and the change in each lever that would cover the costs.

Its four worksheets are four groups of functions here:

- Costs of FutureSocial: `programme_costs` (the Business Plan's, Appendix 2 Tables 1 and 2, or typed ones; the
  total or the Innovation Fund's share).
- Savings in workforce costs: `workforce_baseline` and `workforce_with_programme` (agency workers brought in house,
  the overall workforce constant); `agency_savings` (× the saving per FTE moved, `futuresocial.cost`, the cost
  dashboard's formula); `mou_savings` (the MoU's % saving on agency spend × the share attributed to the
  programme); `turnover_savings` (recruits avoided × cost per recruit + induction); `absence_savings` (FTE of work
  regained × salary).
- Looked after children: `looked_after_children_savings` (attributed reduction × unit cost).
- Cost Benefit Analysis: `discount_factors`, `present_value`, `cost_benefit`; and `unit_savings`, `break_even`.

Pure functions on Decimal, no database: the dashboards page and `GET /api/v1/stats/cost-benefit/` call them with
inputs from a form, the query string or the region's own figures. Nothing is rounded inside the model (as in the
spreadsheet); callers round what they show. Percentages are numbers: 15.9 means 15.9 %. Years are the evaluation's
six financial years, 2017/18 first; a yearly series is a tuple of six values.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal

from futuresocial.cost import CostAssumptions, agency_cost_per_fte, employed_cost_per_fte

YEARS = ("2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
Series = tuple[Decimal, ...]


def _six(*values) -> Series:
    return tuple(Decimal(value) for value in values)


def _same(value) -> Series:
    return _six(*[value] * len(YEARS))


# Appendix 2, Table 2: the Business Plan's funding by year and funder, £ (the report gives £000).
BUSINESS_PLAN_INNOVATION_FUND = _six(368_000, 718_000, 414_000, 0, 0, 0)
BUSINESS_PLAN_LOCAL_AUTHORITIES = _six(68_000, 63_000, 531_000, 898_000, 0, 0)
BUSINESS_PLAN_OTHER = _six(0, 0, 0, 65_000, 0, 0)

# Figure 5: the MoU's saving on overall agency spend (WMCS's estimates), %.
MOU_SAVINGS = {"low": Decimal(7), "medium": Decimal(20), "high": Decimal(29)}
# Figure 9: the annual unit cost of a looked after child, £.
LAC_UNIT_COSTS = {"business_case": Decimal(40_000), "gmca": Decimal(58_664)}


class Costs:
    TOTAL = "total"
    INNOVATION_FUND = "innovation_fund"
    CHOICES = [(TOTAL, "the total costs of FutureSocial"), (INNOVATION_FUND, "the Innovation Fund's costs only")]


class Recruitment:
    AGENCY = "agency"
    IN_HOUSE = "in_house"
    CHOICES = [(AGENCY, "through a recruitment agency"), (IN_HOUSE, "in house")]


@dataclass(frozen=True)
class CostBenefitInputs:
    """Every input of the tool, defaulting to the evaluation's (Appendix 3, Figures 1 to 10)."""

    # Costs of FutureSocial (£ by year and funder) and which of them the analysis counts.
    costs_innovation_fund: Series = BUSINESS_PLAN_INNOVATION_FUND
    costs_local_authorities: Series = BUSINESS_PLAN_LOCAL_AUTHORITIES
    costs_other: Series = BUSINESS_PLAN_OTHER
    costs: str = Costs.TOTAL
    # The workforce in 2017/18 (FTE), its growth without the programme (% a year), and the programme's effect: the
    # net change in agency workers each year (negative: fewer, brought in house).
    social_workers: Decimal = Decimal(3199)
    agency_workers: Decimal = Decimal(641)
    social_workers_growth: Decimal = ZERO
    agency_workers_growth: Decimal = ZERO
    agency_fte_change: Series = _same(0)
    # Cost of one FTE, agency and employed (the cost dashboard's model).
    staff: CostAssumptions = field(default_factory=CostAssumptions)
    # The MoU: its % saving on agency spend, and the share of it attributed to the programme (%).
    mou_saving: Decimal = MOU_SAVINGS["medium"]
    mou_attribution: Decimal = ZERO
    # Turnover (%) without and with the programme, and what a recruit costs.
    turnover_rate_without: Series = _same("15.9")
    turnover_rate_with: Series = _same("15.9")
    recruitment: str = Recruitment.AGENCY
    agency_fee: Decimal = Decimal(15)  # % of the average salary
    advert_cost: Decimal = Decimal(500)
    administrator_hours: Decimal = Decimal(20)
    administrator_hourly_cost: Decimal = Decimal(20)
    social_worker_hours: Decimal = Decimal(20)  # valued at the employed cost per hour
    induction_cost: Decimal = Decimal(1000)
    # Absence (%) without and with the programme.
    absence_rate_without: Series = _same("3.8")
    absence_rate_with: Series = _same("3.8")
    # Looked after children: the change since 2017/18 each year, the % of it attributed, the annual unit cost.
    looked_after_children: Decimal = Decimal(9500)
    lac_change: Series = _same(0)
    lac_attribution: Decimal = HUNDRED
    lac_unit_cost: Decimal = LAC_UNIT_COSTS["business_case"]
    discount_rate: Decimal = Decimal("3.5")  # HM Treasury Green Book


# --- Costs of FutureSocial -------------------------------------------------------------------------------------------


def total_costs_by_year(inputs: CostBenefitInputs) -> Series:
    return tuple(
        sum(funders, ZERO)
        for funders in zip(
            inputs.costs_innovation_fund, inputs.costs_local_authorities, inputs.costs_other, strict=True
        )
    )


def programme_costs(inputs: CostBenefitInputs) -> Series:
    """The costs the analysis counts: all of them, or the Innovation Fund grant's only."""
    if inputs.costs == Costs.INNOVATION_FUND:
        return tuple(inputs.costs_innovation_fund)
    return total_costs_by_year(inputs)


# --- Savings in workforce costs --------------------------------------------------------------------------------------


def _grown(start: Decimal, growth: Decimal) -> Series:
    return tuple(start * (1 + growth / HUNDRED) ** year for year in range(len(YEARS)))


def workforce_baseline(inputs: CostBenefitInputs) -> tuple[Series, Series]:
    """(social workers, agency workers) each year without the programme: 2017/18's grown at the annual rates."""
    return (
        _grown(inputs.social_workers, inputs.social_workers_growth),
        _grown(inputs.agency_workers, inputs.agency_workers_growth),
    )


def workforce_with_programme(inputs: CostBenefitInputs) -> tuple[Series, Series]:
    """(social workers, agency workers) each year with the programme: each agency worker fewer is one more employed
    (the overall workforce stays as it would have been)."""
    social, agency = workforce_baseline(inputs)
    change = inputs.agency_fte_change
    return (
        tuple(s - c for s, c in zip(social, change, strict=True)),
        tuple(a + c for a, c in zip(agency, change, strict=True)),
    )


def saving_per_fte_moved(inputs: CostBenefitInputs) -> Decimal:
    """Agency cost per FTE − employed cost per FTE (£18,117.90 with the evaluation's inputs: "£18,118")."""
    return agency_cost_per_fte(inputs.staff) - employed_cost_per_fte(inputs.staff)


def agency_savings(inputs: CostBenefitInputs) -> Series:
    """Each agency worker fewer saves the difference between an agency and an employed FTE."""
    saving = saving_per_fte_moved(inputs)
    return tuple(-change * saving for change in inputs.agency_fte_change)


def mou_saving_per_agency_fte(inputs: CostBenefitInputs) -> Decimal:
    """Figure 5: the average agency cost per FTE × the MoU's % saving × the % of it attributed to the programme."""
    return agency_cost_per_fte(inputs.staff) * inputs.mou_saving / HUNDRED * inputs.mou_attribution / HUNDRED


def mou_savings(inputs: CostBenefitInputs) -> Series:
    """The attributed MoU saving on every agency worker each year (the MoU was in force throughout)."""
    per_fte = mou_saving_per_agency_fte(inputs)
    _, agency = workforce_with_programme(inputs)
    return tuple(workers * per_fte for workers in agency)


def employed_cost_per_hour(inputs: CostBenefitInputs) -> Decimal:
    """£28.38 with the evaluation's inputs: the employed cost per FTE over its hours (37 × 45)."""
    return employed_cost_per_fte(inputs.staff) / (inputs.staff.hours_per_week * inputs.staff.weeks_per_year)


def in_house_recruitment_cost(inputs: CostBenefitInputs) -> Decimal:
    """The advert, and the administrator's and social worker's time (£1,468 with the evaluation's inputs)."""
    return (
        inputs.advert_cost
        + inputs.administrator_hours * inputs.administrator_hourly_cost
        + inputs.social_worker_hours * employed_cost_per_hour(inputs)
    )


def agency_recruitment_cost(inputs: CostBenefitInputs) -> Decimal:
    """The agency's fee as a % of the average salary (£5,250 with the evaluation's inputs)."""
    return inputs.staff.salary * inputs.agency_fee / HUNDRED


def cost_per_recruit(inputs: CostBenefitInputs, recruitment: str | None = None) -> Decimal:
    """Recruitment (by the chosen means) + training and induction: what each recruitment avoided saves."""
    recruitment = recruitment or inputs.recruitment
    if recruitment == Recruitment.AGENCY:
        return agency_recruitment_cost(inputs) + inputs.induction_cost
    return in_house_recruitment_cost(inputs) + inputs.induction_cost


def recruits_avoided(inputs: CostBenefitInputs) -> Series:
    """The fall in the turnover rate × the employed social workers: recruitment no longer needed to keep the
    workforce (turnover is of employed staff; agency workers are not recruited by the councils)."""
    social, _ = workforce_with_programme(inputs)
    return tuple(
        (without - with_) / HUNDRED * workers
        for without, with_, workers in zip(inputs.turnover_rate_without, inputs.turnover_rate_with, social, strict=True)
    )


def turnover_savings(inputs: CostBenefitInputs) -> Series:
    per_recruit = cost_per_recruit(inputs)
    return tuple(recruits * per_recruit for recruits in recruits_avoided(inputs))


def absence_fte_regained(inputs: CostBenefitInputs) -> Series:
    """The fall in the absence rate × the whole workforce (employed and agency): FTE of work regained. The
    evaluation's £134,000 per 0.1 point is 0.1 % of its 3,840 workers at the £35,000 salary."""
    social, agency = workforce_with_programme(inputs)
    return tuple(
        (without - with_) / HUNDRED * (s + a)
        for without, with_, s, a in zip(
            inputs.absence_rate_without, inputs.absence_rate_with, social, agency, strict=True
        )
    )


def absence_savings(inputs: CostBenefitInputs) -> Series:
    """Work regained valued at the average salary ("prevailing staff cost rates")."""
    return tuple(fte * inputs.staff.salary for fte in absence_fte_regained(inputs))


# --- Looked after children -------------------------------------------------------------------------------------------


def looked_after_children_by_year(inputs: CostBenefitInputs) -> Series:
    return tuple(inputs.looked_after_children + change for change in inputs.lac_change)


def looked_after_children_savings(inputs: CostBenefitInputs) -> Series:
    """Each child fewer (the share attributed to the programme) saves the annual unit cost of a placement."""
    return tuple(-change * inputs.lac_attribution / HUNDRED * inputs.lac_unit_cost for change in inputs.lac_change)


# --- Cost Benefit Analysis -------------------------------------------------------------------------------------------


def discount_factors(inputs: CostBenefitInputs) -> Series:
    """(1 + r)^t with t = 0 in 2017/18: 1.00, 1.04, 1.07, 1.11, 1.15, 1.19 at 3.5 % (Figure 10)."""
    return tuple((1 + inputs.discount_rate / HUNDRED) ** year for year in range(len(YEARS)))


def present_values(values: Series, inputs: CostBenefitInputs) -> Series:
    return tuple(value / factor for value, factor in zip(values, discount_factors(inputs), strict=True))


def present_value(values: Series, inputs: CostBenefitInputs) -> Decimal:
    return sum(present_values(values, inputs), ZERO)


SAVINGS: dict[str, Callable[[CostBenefitInputs], Series]] = {
    "agency_workers": agency_savings,
    "mou": mou_savings,
    "turnover": turnover_savings,
    "absence": absence_savings,
    "looked_after_children": looked_after_children_savings,
}
SAVINGS_NAMES = {
    "agency_workers": "Savings from reduced reliance on agency workers",
    "mou": "Savings from reduced agency fee rates",
    "turnover": "Savings from reduced staff turnover",
    "absence": "Savings from reduced staff absence",
    "looked_after_children": "Savings in costs of looked after children",
}


@dataclass(frozen=True)
class CostBenefit:
    inputs: CostBenefitInputs
    costs: Series
    savings: dict[str, Series]  # by kind (SAVINGS), each by year
    benefits: Series
    discount_factors: Series
    present_value_costs_by_year: Series
    present_value_benefits_by_year: Series
    present_value_costs: Decimal
    present_value_benefits: Decimal

    @property
    def net_present_value(self) -> Decimal:
        return self.present_value_benefits - self.present_value_costs

    @property
    def benefit_cost_ratio(self) -> Decimal | None:
        """None when nothing is counted as a cost (a ratio to nothing)."""
        return self.present_value_benefits / self.present_value_costs if self.present_value_costs else None

    @property
    def covers_the_costs(self) -> bool:
        return self.present_value_benefits >= self.present_value_costs


def ratio_shown(ratio: Decimal | None) -> Decimal | None:
    """A benefit-cost ratio to two places, rounded down: "1.00" only when the benefits do cover the costs (0.9988
    would otherwise show as a misleading 1.00)."""
    return None if ratio is None else ratio.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def cost_benefit(inputs: CostBenefitInputs) -> CostBenefit:
    """The Cost Benefit Analysis worksheet: costs and savings by year, their present values, NPV and ratio."""
    costs = programme_costs(inputs)
    savings = {name: saving(inputs) for name, saving in SAVINGS.items()}
    benefits = tuple(sum(year, ZERO) for year in zip(*savings.values(), strict=True))
    pv_costs, pv_benefits = present_values(costs, inputs), present_values(benefits, inputs)
    return CostBenefit(
        inputs=inputs,
        costs=costs,
        savings=savings,
        benefits=benefits,
        discount_factors=discount_factors(inputs),
        present_value_costs_by_year=pv_costs,
        present_value_benefits_by_year=pv_benefits,
        present_value_costs=sum(pv_costs, ZERO),
        present_value_benefits=sum(pv_benefits, ZERO),
    )


# --- What one unit of each lever saves, and what would cover the costs -----------------------------------------------


@dataclass(frozen=True)
class UnitSavings:
    """A year's saving from one unit of each lever, at 2017/18's workforce ("Estimated Unit Cost Savings")."""

    agency_fte_moved: Decimal  # per agency worker replaced by an employed one
    turnover_point_agency: Decimal  # per percentage point less turnover, recruiting through an agency
    turnover_point_in_house: Decimal  # ... recruiting in house
    mou_point_low: Decimal  # per percentage point of the MoU's saving attributed, at the low (7 %) saving
    mou_point_high: Decimal  # ... at the high (29 %) saving
    absence_tenth_point: Decimal  # per 0.1 percentage point less absence
    looked_after_child: Decimal  # per child fewer (the unit cost chosen)


def unit_savings(inputs: CostBenefitInputs) -> UnitSavings:
    point = Decimal("0.01")
    agency_spend = inputs.agency_workers * agency_cost_per_fte(inputs.staff)
    return UnitSavings(
        agency_fte_moved=saving_per_fte_moved(inputs),
        turnover_point_agency=point * inputs.social_workers * cost_per_recruit(inputs, Recruitment.AGENCY),
        turnover_point_in_house=point * inputs.social_workers * cost_per_recruit(inputs, Recruitment.IN_HOUSE),
        mou_point_low=agency_spend * MOU_SAVINGS["low"] / HUNDRED * point,
        mou_point_high=agency_spend * MOU_SAVINGS["high"] / HUNDRED * point,
        absence_tenth_point=Decimal("0.001") * (inputs.social_workers + inputs.agency_workers) * inputs.staff.salary,
        looked_after_child=inputs.lac_unit_cost,
    )


# The years the evaluation's break-even changes are for: the programme's effects were not expected before 2020/21.
EFFECT_YEARS = (3, 4, 5)


def _in_effect_years(value, otherwise: Series) -> Series:
    return tuple(Decimal(value) if year in EFFECT_YEARS else otherwise[year] for year in range(len(YEARS)))


@dataclass(frozen=True)
class Lever:
    """One lever of the "what would cover the costs" solver: how a change of `amount` is written into the inputs,
    and how the amount needed is shown (whole workers, a rate to one decimal place...)."""

    name: str
    unit: str
    apply: Callable[[CostBenefitInputs, Decimal], CostBenefitInputs]
    saving: str  # the SAVINGS kind it moves


LEVERS = (
    Lever(
        "agency_workers",
        "fewer agency workers each year from 2020/21 to 2022/23",
        lambda i, amount: replace(i, agency_fte_change=_in_effect_years(-amount, _same(0))),
        "agency_workers",
    ),
    Lever(
        "turnover",
        "percentage points less turnover each year from 2020/21 to 2022/23",
        lambda i, amount: replace(
            i,
            turnover_rate_with=tuple(
                r - amount if year in EFFECT_YEARS else r for year, r in enumerate(i.turnover_rate_without)
            ),
        ),
        "turnover",
    ),
    Lever(
        "absence",
        "percentage points less absence each year from 2020/21 to 2022/23",
        lambda i, amount: replace(
            i,
            absence_rate_with=tuple(
                r - amount if year in EFFECT_YEARS else r for year, r in enumerate(i.absence_rate_without)
            ),
        ),
        "absence",
    ),
    Lever(
        "looked_after_children",
        "fewer looked after children each year from 2020/21 to 2022/23",
        lambda i, amount: replace(i, lac_change=_in_effect_years(-amount, _same(0))),
        "looked_after_children",
    ),
    Lever(
        "mou",
        "% of the MoU's saving attributed to the programme, every year",
        lambda i, amount: replace(i, mou_attribution=amount),
        "mou",
    ),
)


@dataclass(frozen=True)
class BreakEven:
    lever: str
    unit: str
    exact: Decimal | None  # the change at which benefits' present value equals the costs' (None: this lever cannot)
    enough: Decimal | None  # rounded up to what the evaluation quotes: whole workers or children, 0.1 point, 1 %
    rate_to: Decimal | None = None  # turnover and absence: the rate the change takes 2020/21 to (from 2017/18's)
    most: Decimal = Decimal("Infinity")  # the largest change the lever allows

    @property
    def possible(self) -> bool:
        """False when no change of this lever alone covers the costs (it saves nothing, or it would need fewer than
        no agency workers or children, a negative rate or more than all of the MoU's saving)."""
        return self.enough is not None and self.enough <= self.most


def _most(inputs: CostBenefitInputs, lever: Lever) -> Decimal:
    _, agency = workforce_baseline(inputs)
    return {
        "agency_workers": min(agency[year] for year in EFFECT_YEARS),
        "turnover": min(inputs.turnover_rate_without[year] for year in EFFECT_YEARS),
        "absence": min(inputs.absence_rate_without[year] for year in EFFECT_YEARS),
        "looked_after_children": inputs.looked_after_children,
        "mou": HUNDRED,
    }[lever.name]


def break_even(inputs: CostBenefitInputs) -> list[BreakEven]:
    """For each lever alone (the others as entered, this one's own setting replaced), the change in it that would
    make the benefits' present value cover the costs'. Each lever's savings are linear in its change, so the answer
    is the gap over the present value of one unit."""
    result = cost_benefit(inputs)
    answers = []
    for lever in LEVERS:
        without = cost_benefit(lever.apply(inputs, ZERO))
        one_unit = cost_benefit(lever.apply(inputs, Decimal(1)))
        per_unit = one_unit.present_value_benefits - without.present_value_benefits
        gap = result.present_value_costs - without.present_value_benefits
        exact = enough = rate_to = None
        if gap <= 0:
            exact = enough = ZERO
        elif per_unit > 0:
            exact = gap / per_unit
            step = Decimal("0.1") if lever.name in ("turnover", "absence") else Decimal(1)
            enough = Decimal(math.ceil(exact / step)) * step
        if enough is not None and lever.name in ("turnover", "absence"):
            rate_to = getattr(inputs, f"{lever.name}_rate_without")[0] - enough
        answers.append(
            BreakEven(
                lever=lever.name,
                unit=lever.unit,
                exact=exact,
                enough=enough,
                rate_to=rate_to,
                most=_most(inputs, lever),
            )
        )
    return answers
