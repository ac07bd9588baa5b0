"""The DfE quarterly return page: a council's own return (the coordinator and analysts: any authority's), with its
sections on the page and as CSV (one file per section) and XLSX (one workbook) downloads."""

from datetime import date

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import role_required
from dfe.exports import return_xlsx, section_csv
from dfe.returns import SECTIONS, BadQuarter, Quarter, authorities_for, dfe_return

council_or_regional_required = role_required(
    lambda user: user.is_council or user.is_regional,
    denial="The DfE quarterly return is a council's: councils, the coordinator and analysts can see it.",
)

FIRST_QUARTER = Quarter(2015, 1)  # the Agency Protocol began in January 2015


def quarter_choices(today: date) -> list[Quarter]:
    """Every quarter from the protocol's first to the current one, newest first."""
    quarters, quarter = [], Quarter.containing(today)
    while quarter >= FIRST_QUARTER:
        quarters.append(quarter)
        quarter = quarter.previous()
    return quarters


@council_or_regional_required
def return_page(request):
    today = timezone.localdate()
    authorities = authorities_for(request.user)
    code = request.GET.get("authority") or (request.user.authority.code if request.user.is_council else "")
    context = {
        "authorities": authorities,
        "quarters": quarter_choices(today),
        "sections": SECTIONS,
        "chosen_code": code,
    }
    try:
        quarter = Quarter.returnable(request.GET.get("quarter") or str(Quarter.last_complete(today)), today=today)
    except BadQuarter as error:
        return render(request, "dfe/return.html", {**context, "error": str(error)}, status=400)
    context["quarter"] = quarter
    if not code:
        return render(request, "dfe/return.html", context)
    authority = authorities.filter(code=code).first()
    if authority is None:
        # Another council's return, or no such authority: nothing to show.
        raise Http404("No such authority among those whose return you may read.")
    ret = dfe_return(authority=authority, quarter=quarter)
    export = request.GET.get("export")
    if export == "xlsx":
        return return_xlsx(ret)
    if export == "csv":
        section = request.GET.get("section", "placements")
        return section_csv(ret, section if section in SECTIONS else "placements")
    tables = []
    for key in SECTIONS:
        title, headings, rows = ret.section(key)
        tables.append(
            {"key": key, "title": title, "headings": headings, "rows": [[_shown(v) for v in r] for r in rows]}
        )
    return render(request, "dfe/return.html", {**context, "ret": ret, "authority": authority, "tables": tables})


def _shown(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
