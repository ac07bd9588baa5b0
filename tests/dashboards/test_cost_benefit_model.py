"""The evaluation's cost-benefit model (futuresocial/cost_benefit.py): with its defaults it gives every figure the
evaluation publishes ("Cost benefit analysis" and Appendix 3), and each break-even change it lists covers the costs
while a smaller one does not. Pure functions: no database."""

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest

from futuresocial.cost import CostAssumptions
from futuresocial.cost_benefit import (
    LAC_UNIT_COSTS,
    YEARS,
    CostBenefitInputs,
    Costs,
    Recruitment,
    agency_recruitment_cost,
    break_even,
    cost_benefit,
    cost_per_recruit,
    discount_factors,
    employed_cost_per_hour,
    in_house_recruitment_cost,
    unit_savings,
    workforce_with_programme,
)

DEFAULTS = CostBenefitInputs()


def thousands(amount):
    """As the evaluation's tables give money: £000, whole."""
    return int((amount / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_the(amount, step):
    """As its text gives unit savings: to the nearest £1,000 (step 1000)."""
    return int((amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)


def from_2020(value, before=0):
    """A change in 2020/21, 2021/22 and 2022/23 only (the break-even scenarios' years)."""
    return tuple(Decimal(value) if year >= 3 else Decimal(before) for year in range(len(YEARS)))


def test_the_defaults_are_the_evaluations():
    i = DEFAULTS
    assert (i.social_workers, i.agency_workers, i.looked_after_children) == (3199, 641, 9500)
    assert i.turnover_rate_without == (Decimal("15.9"),) * 6 and i.absence_rate_without == (Decimal("3.8"),) * 6
    assert i.staff == CostAssumptions()
    assert (i.discount_rate, i.mou_saving, i.recruitment, i.costs) == (Decimal("3.5"), 20, "agency", "total")
    assert YEARS[0] == "2017/18" and YEARS[-1] == "2022/23"


def test_the_business_plans_costs_by_year_and_their_present_value_are_the_evaluations():
    result = cost_benefit(DEFAULTS)
    assert [thousands(c) for c in result.costs] == [436, 781, 945, 963, 0, 0]
    assert thousands(sum(result.costs)) == 3125
    # Figure 10: present value of costs 436 / 755 / 882 / 869, total 2,941 (£000): "£2.94 million"
    assert [thousands(pv) for pv in result.present_value_costs_by_year] == [436, 755, 882, 869, 0, 0]
    assert thousands(result.present_value_costs) == 2941
    assert result.present_value_costs.quantize(Decimal("0.01")) == Decimal("2941327.81")
    assert [f.quantize(Decimal("0.01")) for f in discount_factors(DEFAULTS)] == [
        Decimal(x) for x in ("1.00", "1.04", "1.07", "1.11", "1.15", "1.19")
    ]
    # With no benefits entered: NPV −2,941, ratio 0.00
    assert thousands(result.net_present_value) == -2941 and result.benefit_cost_ratio == 0


def test_the_innovation_fund_costs_are_the_grants_one_and_a_half_million():
    result = cost_benefit(replace(DEFAULTS, costs=Costs.INNOVATION_FUND))
    assert thousands(sum(result.costs)) == 1500
    assert thousands(result.present_value_costs) == 1448  # 368 + 718 / 1.035 + 414 / 1.035²


def test_the_unit_savings_are_the_evaluations():
    unit = unit_savings(DEFAULTS)
    assert unit.agency_fte_moved == Decimal("18117.90")  # "£18,118"
    assert unit.agency_fte_moved.quantize(Decimal(1), rounding=ROUND_HALF_UP) == 18118
    # "£79,000 to £200,000 per 1% reduction in staff turnover": 31.99 recruits × (£1,468 or £5,250 + £1,000)
    assert to_the(unit.turnover_point_in_house, 1000) == 79_000
    assert to_the(unit.turnover_point_agency, 1000) == 200_000
    assert unit.turnover_point_agency == Decimal("199937.50")
    # "£29,000 to £122,000 per 1% ... attributed": 1 % of 7 % and 29 % of 641 × £65,367.90
    assert to_the(unit.mou_point_low, 1000) == 29_000
    assert to_the(unit.mou_point_high, 1000) == 122_000
    # "£134,000 per 0.1% reduction in staff absence": 0.1 % of 3,840 workers at £35,000
    assert to_the(unit.absence_tenth_point, 1000) == 134_000
    assert unit.looked_after_child == 40_000
    assert unit_savings(replace(DEFAULTS, lac_unit_cost=LAC_UNIT_COSTS["gmca"])).looked_after_child == 58_664


def test_the_recruitment_costs_are_figure_6s():
    assert employed_cost_per_hour(DEFAULTS).quantize(Decimal("0.01")) == Decimal("28.38")
    assert in_house_recruitment_cost(DEFAULTS).quantize(Decimal(1)) == 1468  # £500 + 20 h × £20 + 20 h × £28.38
    assert agency_recruitment_cost(DEFAULTS) == 5250
    assert cost_per_recruit(DEFAULTS) == 6250  # "Savings per avoided recruitment"
    assert cost_per_recruit(DEFAULTS, Recruitment.IN_HOUSE).quantize(Decimal(1)) == 2468


# The evaluation's break-even changes ("Changes Required for Cost Savings to Exceed Programme Costs"), each beside a
# smaller change that falls short.
SCENARIOS = {
    "64 fewer agency workers": (
        dict(agency_fte_change=from_2020(-64)),
        dict(agency_fte_change=from_2020(-62)),
    ),
    "turnover down to 10 %": (
        dict(turnover_rate_with=from_2020(10, "15.9")),
        dict(turnover_rate_with=from_2020("10.5", "15.9")),
    ),
    "absence down to 2.9 %": (
        dict(absence_rate_with=from_2020("2.9", "3.8")),
        dict(absence_rate_with=from_2020("3.0", "3.8")),
    ),
    "20 agency workers, 2 points of turnover, absence to 3.5 %": (
        dict(
            agency_fte_change=from_2020(-20),
            turnover_rate_with=from_2020("13.9", "15.9"),
            absence_rate_with=from_2020("3.5", "3.8"),
        ),
        dict(
            agency_fte_change=from_2020(-20),
            turnover_rate_with=from_2020("14.9", "15.9"),
            absence_rate_with=from_2020("3.5", "3.8"),
        ),
    ),
    # "20 (0.2%) ... to 9480": only at the Greater Manchester unit cost (£58,664): at £40,000 it takes 29
    "20 fewer looked after children": (
        dict(lac_change=from_2020(-20), lac_unit_cost=LAC_UNIT_COSTS["gmca"]),
        dict(lac_change=from_2020(-19), lac_unit_cost=LAC_UNIT_COSTS["gmca"]),
    ),
    "7 % of the medium MoU saving": (dict(mou_attribution=Decimal(7)), dict(mou_attribution=Decimal(6))),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_break_even_change_covers_the_costs_and_a_smaller_one_does_not(scenario):
    enough, smaller = SCENARIOS[scenario]
    assert cost_benefit(replace(DEFAULTS, **enough)).benefit_cost_ratio >= 1
    assert cost_benefit(replace(DEFAULTS, **smaller)).benefit_cost_ratio < 1


def test_the_break_even_ratios_to_two_places():
    ratios = {
        name: cost_benefit(replace(DEFAULTS, **enough)).benefit_cost_ratio.quantize(Decimal("0.01"))
        for name, (enough, _) in SCENARIOS.items()
    }
    assert list(ratios.values()) == [Decimal(x) for x in ("1.03", "1.05", "1.08", "1.04", "1.04", "1.10")]


def test_the_solver_finds_the_evaluations_changes():
    answers = {answer.lever: answer for answer in break_even(DEFAULTS)}
    # 62.07 workers exactly: 63 whole ones cover the costs (the evaluation quotes 64, "10%" of 641)
    assert answers["agency_workers"].enough == 63
    assert answers["turnover"].rate_to == Decimal("10.2")  # at most 10.2 %: the evaluation's "to 10%" covers them
    assert answers["absence"].rate_to == Decimal("2.9")
    assert answers["mou"].enough == 7
    assert answers["looked_after_children"].enough == 29  # at £40,000; 20 at £58,664:
    gmca = {a.lever: a for a in break_even(replace(DEFAULTS, lac_unit_cost=LAC_UNIT_COSTS["gmca"]))}
    assert gmca["looked_after_children"].enough == 20
    assert all(answer.possible for answer in answers.values())


def test_the_solver_says_when_one_lever_cannot_cover_the_costs():
    few = replace(DEFAULTS, agency_workers=Decimal(50), absence_rate_without=(Decimal("0.5"),) * 6)
    answers = {answer.lever: answer for answer in break_even(few)}
    assert not answers["agency_workers"].possible  # 63 needed, 50 there
    assert not answers["absence"].possible and answers["absence"].rate_to < 0


def test_the_solver_counts_what_the_other_levers_already_save():
    answers = {a.lever: a for a in break_even(replace(DEFAULTS, mou_attribution=Decimal(7)))}
    assert answers["agency_workers"].enough == 0  # already covered
    assert answers["mou"].enough == 7  # its own setting is replaced, not added to


def test_agency_workers_brought_in_house_keep_the_workforce_the_same():
    social, agency = workforce_with_programme(replace(DEFAULTS, agency_fte_change=from_2020(-64)))
    assert (social[3], agency[3], social[3] + agency[3]) == (3263, 577, 3840)
    assert (social[0], agency[0]) == (3199, 641)


def test_every_input_moves_the_result():
    scenario = dict(
        agency_fte_change=from_2020(-10), mou_attribution=Decimal(5), turnover_rate_with=from_2020(15, "15.9")
    )
    base = cost_benefit(replace(DEFAULTS, **scenario))
    changed = {
        "discount_rate": Decimal(5),
        "social_workers_growth": Decimal(2),
        "agency_workers_growth": Decimal(2),
        "staff": CostAssumptions(hourly_rate=Decimal(40)),
        "mou_saving": Decimal(29),
        "looked_after_children": Decimal(9000),
    }
    for name, value in changed.items():
        inputs = replace(DEFAULTS, **{**scenario, name: value})
        if name == "looked_after_children":
            assert cost_benefit(inputs).benefits == base.benefits  # the count is shown; the change is what saves
            continue
        assert cost_benefit(inputs).present_value_benefits != base.present_value_benefits, name
