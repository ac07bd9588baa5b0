"""The evaluation's cost-benefit model (futuresocial/cost_benefit.py) as a page: its inputs (the evaluation's, typed
ones, or the region's own figures, each saying where it came from), each worksheet's table, the present values, NPV
and benefit-cost ratio, and what change in each lever would cover the costs. Every table downloads as CSV or XLSX.

The coordinator and analysts change the inputs; a council reads the model (the evaluation's or the region's figures)
without changing them; agencies do not see it."""

from decimal import ROUND_HALF_UP, Decimal

from django.shortcuts import render

from accounts.decorators import role_required
from dashboards.forms import CostBenefitForm
from dashboards.selectors import cost_benefit_region_figures
from futuresocial.cost import whole_pounds
from futuresocial.cost_benefit import (
    SAVINGS_NAMES,
    YEARS,
    CostBenefit,
    absence_fte_regained,
    break_even,
    cost_benefit,
    looked_after_children_by_year,
    mou_saving_per_agency_fte,
    ratio_shown,
    recruits_avoided,
    total_costs_by_year,
    unit_savings,
    workforce_baseline,
    workforce_with_programme,
)
from futuresocial.exports import Table, table_export

cost_benefit_reader_required = role_required(
    lambda user: user.reads_figures,
    denial="The cost-benefit model is for the workforce coordinator, analysts and councils.",
)

TENTH, HUNDREDTH = Decimal("0.1"), Decimal("0.01")


def _to(value: Decimal, step=TENTH) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _row(label, values, shown=whole_pounds, total=False):
    cells = [shown(value) for value in values]
    return [label, *cells, sum(cells, Decimal(0)) if total else None]


def _input_value(value):
    if isinstance(value, tuple):
        return ", ".join(format(number.normalize(), "f") for number in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def cost_benefit_tables(form: CostBenefitForm, result: CostBenefit) -> list[Table]:
    """Every worksheet's table, as the page shows them and as they download (the same rows)."""
    inputs = result.inputs
    years = ["", *YEARS, "Total"]
    input_rows = []
    for name, field in form.fields.items():
        if name == "figures":
            continue
        value, source = form.value_and_source(name)
        input_rows.append([field.label, _input_value(value), source])
    inputs_table = Table(
        title="Inputs", filename="cost-benefit-inputs", columns=["Input", "Value", "Source"], rows=input_rows
    )

    total_costs = total_costs_by_year(inputs)
    costs = Table(
        title="Costs of FutureSocial (£)",
        filename="cost-benefit-costs",
        columns=years,
        rows=[
            _row("Innovation Fund", inputs.costs_innovation_fund, total=True),
            _row("Local authorities", inputs.costs_local_authorities, total=True),
            _row("Other", inputs.costs_other, total=True),
            _row("Total", total_costs, total=True),
            _row("Counted in the analysis", result.costs, total=True),
        ],
    )

    social, agency = workforce_baseline(inputs)
    social_with, agency_with = workforce_with_programme(inputs)
    workforce = Table(
        title="Savings in workforce costs",
        filename="cost-benefit-workforce",
        columns=years,
        rows=[
            _row("Employed social workers without the programme (FTE)", social, _to),
            _row("Agency workers without the programme (FTE)", agency, _to),
            _row("Change in agency workers (FTE)", inputs.agency_fte_change, _to),
            _row("Employed social workers with the programme (FTE)", social_with, _to),
            _row("Agency workers with the programme (FTE)", agency_with, _to),
            _row(SAVINGS_NAMES["agency_workers"] + " (£)", result.savings["agency_workers"], total=True),
            _row(
                "MoU saving attributed, per agency worker (£)",
                [mou_saving_per_agency_fte(inputs)] * len(YEARS),
                lambda v: _to(v, HUNDREDTH),
            ),
            _row(SAVINGS_NAMES["mou"] + " (£)", result.savings["mou"], total=True),
            _row("Turnover without the programme (%)", inputs.turnover_rate_without, lambda v: v),
            _row("Turnover with the programme (%)", inputs.turnover_rate_with, lambda v: v),
            _row("Recruitment avoided (FTE)", recruits_avoided(inputs), _to),
            _row(SAVINGS_NAMES["turnover"] + " (£)", result.savings["turnover"], total=True),
            _row("Absence without the programme (%)", inputs.absence_rate_without, lambda v: v),
            _row("Absence with the programme (%)", inputs.absence_rate_with, lambda v: v),
            _row("Work regained (FTE)", absence_fte_regained(inputs), _to),
            _row(SAVINGS_NAMES["absence"] + " (£)", result.savings["absence"], total=True),
        ],
    )

    children = Table(
        title="Looked after children",
        filename="cost-benefit-looked-after-children",
        columns=years,
        rows=[
            _row("Looked after children", looked_after_children_by_year(inputs), lambda v: v),
            _row("Change since 2017/18", inputs.lac_change, lambda v: v),
            _row(
                "Reduction attributed to the programme",
                [-change * inputs.lac_attribution / 100 for change in inputs.lac_change],
                _to,
            ),
            _row(SAVINGS_NAMES["looked_after_children"] + " (£)", result.savings["looked_after_children"], total=True),
        ],
    )

    net = [b - c for b, c in zip(result.benefits, result.costs, strict=True)]
    net_pv = [
        b - c for b, c in zip(result.present_value_benefits_by_year, result.present_value_costs_by_year, strict=True)
    ]
    analysis = Table(
        title="Cost benefit analysis (£)",
        filename="cost-benefit-analysis",
        columns=years,
        rows=[
            _row("Discount factor", result.discount_factors, lambda v: _to(v, HUNDREDTH)),
            _row("Costs of FutureSocial", result.costs, total=True),
            _row("Present value of costs", result.present_value_costs_by_year, total=True),
            *[_row(SAVINGS_NAMES[name], values, total=True) for name, values in result.savings.items()],
            _row("Total benefits", result.benefits, total=True),
            _row("Present value of benefits", result.present_value_benefits_by_year, total=True),
            _row("Net benefits", net, total=True),
            _row("Net present value of benefits", net_pv, total=True),
        ],
    )
    # Totals above are sums of whole pounds as shown; the summary's are the model's own, rounded once.
    summary = Table(
        title="Present values, net present value and benefit-cost ratio",
        filename="cost-benefit-summary",
        columns=["Figure", "Value"],
        rows=[
            ["Present value of costs (£)", whole_pounds(result.present_value_costs)],
            ["Present value of benefits (£)", whole_pounds(result.present_value_benefits)],
            ["Net present value (£)", whole_pounds(result.net_present_value)],
            ["Benefit-cost ratio", ratio_shown(result.benefit_cost_ratio)],
        ],
    )

    unit = unit_savings(inputs)
    units = Table(
        title="What one unit of each change saves in a year (£)",
        filename="cost-benefit-unit-savings",
        columns=["Change", "Saving a year (£)"],
        rows=[
            ["One agency worker replaced by an employed one", whole_pounds(unit.agency_fte_moved)],
            [
                "1 point less turnover, recruiting through an agency",
                whole_pounds(unit.turnover_point_agency),
            ],
            ["1 point less turnover, recruiting in house", whole_pounds(unit.turnover_point_in_house)],
            ["1 % of the MoU's low (7 %) saving attributed", whole_pounds(unit.mou_point_low)],
            ["1 % of the MoU's high (29 %) saving attributed", whole_pounds(unit.mou_point_high)],
            ["0.1 percentage point less absence", whole_pounds(unit.absence_tenth_point)],
            ["One looked after child fewer", whole_pounds(unit.looked_after_child)],
        ],
    )

    solver_rows = []
    for answer in break_even(inputs):
        if not answer.possible:
            needed = "not possible with this change alone"
        elif answer.rate_to is not None:
            needed = f"{answer.enough} ({answer.lever} to {answer.rate_to} %)"
        else:
            needed = answer.enough
        solver_rows.append([answer.unit, needed, None if answer.exact is None else _to(answer.exact, HUNDREDTH)])
    solver = Table(
        title="What would cover the costs",
        filename="cost-benefit-break-even",
        columns=["Change (on its own, the other inputs as they are)", "Enough to cover the costs", "Break-even"],
        rows=solver_rows,
    )
    for table in (inputs_table, costs, workforce, children, analysis, summary, units, solver):
        table.caption = table.title
    return [inputs_table, costs, workforce, children, analysis, summary, units, solver]


@cost_benefit_reader_required
def cost_benefit_page(request):
    user = request.user
    may_change = user.is_regional
    data = request.GET
    if not may_change:
        # A council reads the model: the evaluation's figures or the region's, never inputs of its own.
        data = {"figures": request.GET["figures"]} if "figures" in request.GET else {}
    region_figures, withheld = cost_benefit_region_figures(user=user) if data.get("figures") == "region" else ({}, ())
    form = CostBenefitForm(data or None, region_figures=region_figures, withheld=withheld)
    result = cost_benefit(form.inputs())
    tables = cost_benefit_tables(form, result)
    if response := table_export(request, *tables):
        return response
    return render(
        request,
        "dashboards/cost_benefit.html",
        {
            "form": form,
            "may_change": may_change,
            "result": result,
            "present_value_costs": whole_pounds(result.present_value_costs),
            "present_value_benefits": whole_pounds(result.present_value_benefits),
            "net_present_value": whole_pounds(result.net_present_value),
            "benefit_cost_ratio": ratio_shown(result.benefit_cost_ratio),
            "tables": tables,
            "inputs_table": tables[0],
            "worksheets": tables[1:5],
            "summary": tables[5],
            "units": tables[6],
            "solver": tables[7],
            "uses_region_figures": form.uses_region_figures,
            "region_figures": region_figures,
        },
    )
