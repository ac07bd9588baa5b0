"""The DfE quarterly return page: a council's own return (the coordinator and analysts: any authority's), with its
sections on the page and as CSV (the whole return in one file, or one section) and XLSX (one workbook) downloads."""

from datetime import date

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import role_required
from dfe.exports import return_csv, return_xlsx, section_csv
from dfe.returns import (
    FIRST_QUARTER,
    SECTIONS,
    BadQuarter,
    Quarter,
    UnknownAuthority,
    authorities_for,
    authority_by_code,
    dfe_return,
)

council_or_regional_required = role_required(
    lambda user: user.reads_figures,
    denial="The DfE quarterly return is a council's: councils, the coordinator and analysts can see it.",
)


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
    code = request.GET.get("authority") or (request.user.authority.code if request.user.is_council else "")
    context = {
        "authorities": authorities_for(request.user),
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
    try:
        authority = authority_by_code(code, user=request.user)
    except UnknownAuthority:
        authority = None
    if authority is None:
        # Another council's return, or no such authority: nothing to show.
        raise Http404("No such authority among those whose return you may read.")
    context["chosen_code"] = authority.code  # the list's value, when asked by DfE LA code
    ret = dfe_return(authority=authority, quarter=quarter)
    export = request.GET.get("export")
    if export == "xlsx":
        return return_xlsx(ret)
    if export == "csv":
        section = request.GET.get("section")
        if not section:
            return return_csv(ret)
        if section not in SECTIONS:
            raise Http404(f"The return has no section “{section}”.")
        return section_csv(ret, section)
    tables = []
    for key in SECTIONS:
        title, headings, rows = ret.section(key)
        tables.append({"key": key, "title": title, "headings": headings, "rows": rows})
    return render(request, "dfe/return.html", {**context, "ret": ret, "authority": authority, "tables": tables})
