"""Compliance by agency: a league table of every agency's breach cases (by rule and status), total excess, the
timesheet lines behind them, how long closed cases took and its standing, sortable by any column.

Breach figures are the cases the reader may see (`visible_to`: a council, those at its authority); lines come from the
summaries at the same authorities.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.shortcuts import render

from agencies.models import Agency
from compliance.models import Breach
from dashboards.forms import AuthorityFilterForm
from dashboards.selectors import breaches_by_agency, days, lines_by_agency
from dashboards.views import dashboard_reader_required, summaries_state
from futuresocial.charts import Series, bar_chart
from futuresocial.exports import Table, table_export
from futuresocial.scoping import visible_to

# The league table's columns: (key, heading); ?sort=<key> or ?sort=-<key>.
COLUMNS = [
    ("agency", "Agency"),
    ("standing", "Standing"),
    ("cases", "Cases"),
    ("unresolved", "Not yet closed"),
    ("serious", "Serious"),
    ("excess", "Total excess £"),
    ("lines", "Timesheet lines"),
    ("per_thousand", "Cases per 1,000 lines"),
    ("median_days", "Median days to close"),
    ("mean_days", "Mean days to close"),
]
SORT_KEYS = {key for key, _ in COLUMNS}
DEFAULT_SORT = "-excess"


def _league(agencies, cases, lines):
    rows = []
    for agency in agencies:
        mine = cases.get(agency.id, {})
        agency_lines = lines.get(agency.id, 0)
        count = mine.get("cases", 0)
        rows.append(
            {
                "id": agency.id,
                "agency": agency.name,
                "standing": agency.get_standing_display(),
                "standing_value": agency.standing,
                "cases": count,
                "unresolved": mine.get("unresolved", 0),
                "serious": mine.get("serious", 0),
                "excess": mine.get("excess") or Decimal("0.00"),
                "lines": agency_lines,
                "per_thousand": (Decimal(1000 * count) / agency_lines).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if agency_lines
                else None,
                "median_days": days(mine.get("median_to_close")),
                "mean_days": days(mine.get("mean_to_close")),
                "closed": mine.get("closed", 0),
                "by_rule": [mine.get(f"rule_{rule}", 0) for rule in Breach.Rule.values],
                "by_status": [mine.get(f"status_{status}", 0) for status in Breach.Status.values],
            }
        )
    return rows


def _sorted(rows, sort):
    """Sorted by one column; empty values (no lines, no closed case) last whichever the direction; ties by name."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    present = [row for row in rows if row[key] is not None]
    missing = [row for row in rows if row[key] is None]
    present.sort(key=lambda row: row["agency"])
    present.sort(key=lambda row: row[key].lower() if isinstance(row[key], str) else row[key], reverse=descending)
    return present + sorted(missing, key=lambda row: row["agency"])


@dashboard_reader_required
def compliance(request):
    user = request.user
    form = None
    if user.is_council:
        authority = user.authority  # visible_to restricts the cases and the lines to it anyway
    else:
        form = AuthorityFilterForm(request.GET or None, user=user)
        authority = form.chosen_authority()
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORT_KEYS:
        sort = DEFAULT_SORT

    agencies = list(visible_to(Agency.objects.order_by("name"), user))
    rows = _sorted(
        _league(
            agencies,
            breaches_by_agency(user=user, authority=authority),
            lines_by_agency(user=user, authority=authority),
        ),
        sort,
    )
    rules = list(Breach.Rule.choices)
    statuses = list(Breach.Status.choices)
    league = Table(
        title="Compliance by agency",
        filename="compliance-by-agency",
        columns=[heading for _, heading in COLUMNS] + ["Closed cases"],
        rows=[[row[key] for key, _ in COLUMNS] + [row["closed"]] for row in rows],
    )
    by_rule = Table(
        title="Cases by rule",
        filename="cases-by-rule",
        columns=["Agency", *(label for _, label in rules), "All"],
        rows=[[row["agency"], *row["by_rule"], row["cases"]] for row in rows if row["cases"]],
    )
    by_status = Table(
        title="Cases by status",
        filename="cases-by-status",
        columns=["Agency", *(label for _, label in statuses), "All"],
        rows=[[row["agency"], *row["by_status"], row["cases"]] for row in rows if row["cases"]],
    )
    if response := table_export(request, league, by_rule, by_status):
        return response

    with_cases = [row for row in rows if row["cases"]]
    charts = {}
    if with_cases:
        names = [row["agency"] for row in with_cases]
        charts["excess"] = bar_chart(
            names,
            [Series("Total excess £", [(row["agency"], row["excess"]) for row in with_cases])],
            y_label="£",
            title="Total excess over the caps, by agency",
        )
        used = [index for index, _ in enumerate(rules) if any(row["by_rule"][index] for row in with_cases)]
        charts["rules"] = bar_chart(
            names,
            [
                Series(
                    Breach.RULE_SHORT[rules[index][0]], [(row["agency"], row["by_rule"][index]) for row in with_cases]
                )
                for index in used
            ],
            y_label="cases",
            title="Breach cases by rule, by agency",
        )
    headings = []
    for key, heading in COLUMNS:
        # First click sorts names A→Z and figures largest first; a second click reverses.
        first = key if key in ("agency", "standing") else f"-{key}"
        headings.append(
            {
                "key": key,
                "heading": heading,
                "next": (key if sort == f"-{key}" else f"-{key}") if sort.lstrip("-") == key else first,
                "arrow": ("↓" if sort.startswith("-") else "↑") if sort.lstrip("-") == key else "",
                "numeric": key not in ("agency", "standing"),
            }
        )
    return render(
        request,
        "dashboards/compliance.html",
        {
            "form": form,
            "authority": authority,
            "rows": rows,
            "headings": headings,
            "sort": sort,
            "sort_keep": [("sort", sort)],
            "charts": charts,
            "league": league,
            "by_rule": by_rule,
            "by_status": by_status,
            "any_cases": bool(with_cases),
            "state": summaries_state(),
        },
    )
