"""Cost and savings: the evaluation's cost-per-FTE model with its assumptions editable on the page, the actual agency
spend from timesheets (charge rate × hours, from the summaries) by month and authority, and what that work would
have cost at the rates charged before the caps."""

from decimal import ROUND_HALF_UP, Decimal

from django.shortcuts import render

from dashboards.forms import CostForm
from dashboards.selectors import pre_cap_rates, work_by_authority, work_by_month
from dashboards.views import dashboard_reader_required, summaries_state
from futuresocial.charts import Series, bar_chart, line_chart
from futuresocial.cost import CostAssumptions, cost_per_fte, spend_at_pre_cap_rates
from futuresocial.disclosure import EXPLAINED, WITHHELD, reads_from_outside
from futuresocial.exports import Cell, Table, table_export
from futuresocial.money import PENNY
from mou.models import MouVersion, Role


def _totals(work):
    hours = sum((one.hours for one in work), Decimal(0))
    charged = sum((one.charged for one in work), Decimal(0)).quantize(PENNY, ROUND_HALF_UP)
    return hours, charged


# A figure withheld from this reader (futuresocial.disclosure): the code where the numbers would be.
WITHHELD_CELL = Cell(None, WITHHELD)


def _saving(charged, counterfactual):
    return None if counterfactual is None else counterfactual - charged


def _number(value):
    """A table's value as a chart plots it: a withheld one is a gap."""
    return None if value is WITHHELD_CELL else value


@dashboard_reader_required
def cost(request):
    user = request.user
    form = CostForm(request.GET or None, user=user)
    selection = form.selection()
    assumptions = form.assumptions()
    model = cost_per_fte(assumptions)
    roles = list(Role.objects.order_by("rank", "code"))
    capped = {role.id: role.capped for role in roles}
    first_version = MouVersion.objects.published().order_by("effective_from").first()

    typed_pre_cap = form.value("pre_cap_rate")
    data_pre_cap = pre_cap_rates(user=user)  # a rate withheld from the user is None: no counterfactual uses it
    if typed_pre_cap is not None:
        rates_before = {role.id: typed_pre_cap for role in roles if role.capped}
    else:
        rates_before = {role_id: rate for role_id, rate in data_pre_cap.items() if rate is not None}

    months = work_by_month(selection, capped=capped, user=user)
    # A council's breakdown is its own authority only; the region's total comes added up (key None).
    if user.is_council:
        breakdown = [user.authority]
    elif selection.authority is not None:
        breakdown = [selection.authority]
    else:
        breakdown = form.authorities
    by_authority = work_by_authority(selection, capped=capped, authorities=[a.id for a in breakdown], user=user)

    model_table = Table(
        title="Cost per FTE: agency against employed",
        filename="cost-per-fte",
        columns=["Figure", "Value"],
        rows=[
            ["Average agency hourly rate (£)", assumptions.hourly_rate],
            ["Hours per week", assumptions.hours_per_week],
            ["Weeks per year", assumptions.weeks_per_year],
            ["Salary per FTE (£)", assumptions.salary],
            ["Pension and NI (%)", assumptions.pension_and_ni_percent],
            ["Overheads (%)", assumptions.overheads_percent],
            ["Agency cost per FTE (£ a year)", model.agency],
            ["Employed cost per FTE (£ a year)", model.employed],
            ["Saving per FTE moved to employment (£ a year)", model.saving],
        ],
    )
    monthly_rows = []
    for month, work in months.items():
        if work is None:
            monthly_rows.append([month.strftime("%Y-%m"), *[WITHHELD_CELL] * 4])
            continue
        hours, charged = _totals(work)
        counterfactual = spend_at_pre_cap_rates(work, rates_before)
        monthly_rows.append([month.strftime("%Y-%m"), hours, charged, counterfactual, _saving(charged, counterfactual)])
    monthly = Table(
        title="Agency spend by month",
        filename="agency-spend-by-month",
        columns=["Month", "Hours", "Spend £ (charge × hours)", "At pre-cap rates £", "Saved by the caps £"],
        rows=monthly_rows,
    )
    names = {a.id: a.name for a in breakdown}
    authority_rows = []
    for authority_id in [a.id for a in breakdown if a.id in by_authority] + [None]:
        name = names[authority_id] if authority_id else "The region (all 14)"
        work = by_authority.get(authority_id, [])
        if work is None:
            authority_rows.append([name, *[WITHHELD_CELL] * 5])
            continue
        hours, charged = _totals(work)
        counterfactual = spend_at_pre_cap_rates(work, rates_before) if work else None
        average = (charged / hours).quantize(PENNY, ROUND_HALF_UP) if hours else None
        authority_rows.append(
            [
                name,
                hours,
                average,
                charged,
                counterfactual,
                _saving(charged, counterfactual),
            ]
        )
    by_authority_table = Table(
        title="Agency spend by authority over the period",
        filename="agency-spend-by-authority",
        columns=[
            "Authority",
            "Hours",
            "Average charge £/h",
            "Spend £",
            "At pre-cap rates £",
            "Saved by the caps £",
        ],
        rows=authority_rows if by_authority else [],
    )
    if response := table_export(request, model_table, monthly, by_authority_table):
        return response

    # The selection's own average charge rate, offered as the model's hourly rate (not when a month of it is
    # withheld from the user: the period's figure adds up that month's rows).
    # The note on what the region's figures leave out: for every reader outside them (the region's row is always here).
    any_withheld = reads_from_outside(user, authority_id=None) or None in months.values()
    data_rate = None
    if None not in months.values():
        hours, charged = _totals([one for work in months.values() for one in work])
        data_rate = (charged / hours).quantize(PENNY, ROUND_HALF_UP) if hours else None
    use_data_rate = None
    if data_rate is not None:
        query = request.GET.copy()
        query["hourly_rate"] = str(data_rate)
        use_data_rate = query.urlencode()

    charts = {}
    if monthly_rows:
        plotted = [[_number(value) for value in row] for row in monthly_rows]  # a withheld month: a gap
        series = [Series("Actual spend", [(month, row[2]) for month, row in zip(months, plotted, strict=True)])]
        if any(row[3] is not None for row in plotted):
            series.append(
                Series(
                    "At pre-cap rates",
                    [(month, row[3]) for month, row in zip(months, plotted, strict=True)],
                    kind="dashed",
                )
            )
        charts["monthly"] = line_chart(series, y_label="£", title="Agency spend by month")
        if len(authority_rows) > 2:  # the region's authorities side by side (not for one authority)
            shown = [[_number(value) for value in row] for row in authority_rows[:-1]]
            bars = [Series("Spend £", [(row[0], row[3]) for row in shown])]
            if any(row[4] is not None for row in shown):
                bars.append(Series("At pre-cap rates £", [(row[0], row[4]) for row in shown]))
            charts["authorities"] = bar_chart(
                [row[0] for row in shown], bars, y_label="£", title="Agency spend by authority"
            )
    return render(
        request,
        "dashboards/cost.html",
        {
            "form": form,
            "selection": selection,
            "model": model,
            "assumptions": assumptions,
            "published": CostAssumptions(),
            "model_fields": CostForm.MODEL_FIELDS,
            "model_table": model_table,
            "monthly": monthly,
            "by_authority": by_authority_table,
            "charts": charts,
            "data_rate": data_rate,
            "use_data_rate": use_data_rate,
            "typed_pre_cap": typed_pre_cap,
            "data_pre_cap": [(role, data_pre_cap[role.id]) for role in roles if role.id in data_pre_cap],
            "disclosure": EXPLAINED,
            "any_withheld": any_withheld,
            "first_version": first_version,
            "pre_cap_known": bool(rates_before),
            "state": summaries_state(),
        },
    )
