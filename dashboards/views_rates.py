"""Rates against caps: the average and spread of pay and charge rates of a role month by month, the caps of each MoU
version on the same chart, and the share of hours worked above the cap. Read from the summaries only."""

from django.shortcuts import render

from dashboards.forms import RatesFilterForm
from dashboards.selectors import cap_history, rates_by_month, rates_by_role
from dashboards.views import dashboard_reader_required, summaries_state
from futuresocial.charts import Series, line_chart
from futuresocial.disclosure import EXPLAINED, WITHHELD, reads_from_outside
from futuresocial.exports import Cell, Table, table_export
from mou.models import EngagementType


def _month(day):
    return day.strftime("%Y-%m")


def _cap_in(steps, month, attribute):
    """The cap of the latest version in force by the first of `month` (None before the first, or if it sets none)."""
    in_force = [step for step in steps if step.version.effective_from <= month]
    return getattr(in_force[-1], attribute) if in_force else None


def _cap_points(steps, attribute, first, last):
    """A step line of the caps over [first, last]: each version from its effective date (the one in force at the start
    drawn from `first`), versions after `last` left out so the chart's axis covers the data only."""
    points = []
    for index, step in enumerate(steps):
        following = steps[index + 1].version.effective_from if index + 1 < len(steps) else None
        if step.version.effective_from > last or (following is not None and following <= first):
            continue
        points.append((max(step.version.effective_from, first), getattr(step, attribute)))
    return points


# A figure withheld from this reader (futuresocial.disclosure): the code where the number would be, on the page and in
# the CSV/XLSX, explained under the tables.
WITHHELD_CELL = Cell(None, WITHHELD)


def _figures(stats, values):
    """`values` of `stats`, or the code in each place when the figures are withheld (the caps are public: not these)."""
    return [WITHHELD_CELL] * len(values) if stats.withheld else values


def _rate_chart(months, steps, *, kind, role):
    """Average, spread band and cap of pay (`kind`="pay") or charge rates."""
    average, upper, lower = [], [], []
    for month, stats in months:
        mean = getattr(stats, f"average_{kind}") if stats else None
        spread = getattr(stats, f"spread_{kind}") if stats else None
        average.append((month, mean))
        upper.append((month, None if mean is None else mean + spread))
        lower.append((month, None if mean is None else mean - spread))
    series = [Series(f"Average {kind} rate", average)]
    caps = _cap_points(steps, f"max_{kind}_rate", months[0][0], months[-1][0]) if steps else []
    if any(value is not None for _, value in caps):
        series.append(Series(f"{kind.capitalize()} cap", caps, kind="step"))
    series.append(Series("Typical range (average ± 1 standard deviation)", upper, kind="band", lower=lower))
    # Not from zero: the question is how rates sit against the cap, a few pounds apart.
    return line_chart(
        series, y_label="£ per hour", title=f"{kind.capitalize()} rates of {role.code}, by month", y_from_zero=False
    )


@dashboard_reader_required
def rates(request):
    form = RatesFilterForm(request.GET or None, user=request.user)
    selection = form.selection()
    role = selection.role
    user = request.user
    months = rates_by_month(selection, user=user) if role else []
    by_role = rates_by_role(selection, user=user)
    steps = cap_history(role=role, engagement_type=selection.engagement_type) if role and role.capped else []

    monthly = Table(
        title=f"{role.code if role else ''} rates by month",
        filename=f"rates-{role.code if role else 'none'}-by-month",
        columns=[
            "Month",
            "Lines",
            "Hours",
            "Average pay £/h",
            "Pay spread (standard deviation) £",
            "Lowest pay £/h",
            "Highest pay £/h",
            "Pay cap £/h",
            "Hours above the pay cap %",
            "Average charge £/h",
            "Charge spread (standard deviation) £",
            "Lowest charge £/h",
            "Highest charge £/h",
            "Charge cap £/h",
            "Hours above the charge cap %",
        ],
        rows=[
            [
                _month(month),
                *_figures(s, [s.line_count, s.hours_worked, s.average_pay, s.spread_pay, s.min_pay, s.max_pay]),
                _cap_in(steps, month, "max_pay_rate"),
                *_figures(s, [s.share_above_pay_cap, s.average_charge, s.spread_charge, s.min_charge, s.max_charge]),
                _cap_in(steps, month, "max_charge_rate"),
                *_figures(s, [s.share_above_charge_cap]),
            ]
            for month, s in months
            if s is not None
        ],
    )
    overview = Table(
        title="Rates by role over the period",
        filename="rates-by-role",
        columns=[
            "Role",
            "Hours",
            "Average pay £/h",
            "Pay spread £",
            "Hours above the pay cap %",
            "Average charge £/h",
            "Charge spread £",
            "Hours above the charge cap %",
        ],
        rows=[
            [
                f"{r.code} – {r.name}" + ("" if r.capped else " (outside the MoU)"),
                *_figures(
                    s,
                    [
                        s.hours_worked,
                        s.average_pay,
                        s.spread_pay,
                        s.share_above_pay_cap if r.capped else None,
                        s.average_charge,
                        s.spread_charge,
                        s.share_above_charge_cap if r.capped else None,
                    ],
                ),
            ]
            for r in form.roles
            if (s := by_role.get(r.id))
        ],
    )
    if response := table_export(request, monthly, overview):
        return response

    charts = {}
    if months:
        charts["pay"] = _rate_chart(months, steps, kind="pay", role=role)
        charts["charge"] = _rate_chart(months, steps, kind="charge", role=role)
        if role.capped:
            charts["above"] = line_chart(
                [
                    Series("Hours above the pay cap", [(m, s and s.share_above_pay_cap) for m, s in months]),
                    Series("Hours above the charge cap", [(m, s and s.share_above_charge_cap) for m, s in months]),
                ],
                y_label="% of hours",
                title=f"Share of {role.code} hours worked above the cap, by month",
            )
    return render(
        request,
        "dashboards/rates.html",
        {
            "form": form,
            "selection": selection,
            "role": role,
            "engagement_label": EngagementType(selection.engagement_type).label if selection.engagement_type else "",
            "totals": by_role.get(role.id) if role else None,
            "disclosure": EXPLAINED,
            # The note on what the region's figures leave out, for a reader outside them.
            "any_withheld": reads_from_outside(user, authority_id=getattr(selection.authority, "pk", None)),
            "steps": steps,
            "charts": charts,
            "monthly": monthly,
            "overview": overview,
            "state": summaries_state(),
        },
    )
