"""The DfE quarterly return page: a council's own return (the coordinator and analysts: any authority's), with its
sections on the page and as CSV (the whole return in one file, or one section) and XLSX (one workbook) downloads.
Once its quarter has ended a council (or the coordinator) files it, through a confirmation page; a filed return is
shown as filed, with its own downloads and what has changed in the data since."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.decorators import role_required
from dfe.exports import return_csv, return_xlsx, section_csv
from dfe.forms import FileReturnForm
from dfe.returns import (
    FIRST_QUARTER,
    SECTIONS,
    BadQuarter,
    Quarter,
    UnknownAuthority,
    _shown,
    authorities_for,
    authority_by_code,
    dfe_return,
)
from dfe.selectors import SECTION_KEYS, as_filed, differences, filing_of, has_differences, return_json
from dfe.services import dfe_return_file, file_refusal, quarter_refusal
from futuresocial.forms import add_service_errors

council_or_regional_required = role_required(
    lambda user: user.reads_figures,
    denial="The DfE quarterly return is a council's: councils, the coordinator and analysts can see it.",
)
council_or_coordinator_required = role_required(
    lambda user: user.is_coordinator or (user.is_council and user.authority_id is not None),
    denial="A council files its own DfE return, and the workforce coordinator any council's.",
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
    export = request.GET.get("export") in ("csv", "xlsx")
    if export and request.GET.get("version") == "filed":
        filing = filing_of(authority=authority, quarter=quarter)
        if filing is None:
            raise Http404(f"{authority}'s return for {quarter} has not been filed.")
        return _download(request, as_filed(filing))
    ret = dfe_return(authority=authority, quarter=quarter)
    if export:
        return _download(request, ret)
    tables = []
    for key in SECTIONS:
        title, headings, rows = ret.section(key)
        tables.append({"key": key, "title": title, "headings": headings, "rows": rows})
    ended = quarter_refusal(quarter, today=today) is None
    filing = filing_of(authority=authority, quarter=quarter) if ended else None
    context.update(
        ret=ret,
        authority=authority,
        tables=tables,
        ended=ended,
        filing=filing,
        may_file=ended and filing is None and file_refusal(by=request.user, authority=authority) is None,
    )
    if filing is not None:
        context["changes"] = _changes_shown(filing.filed, differences(filing.filed, return_json(ret)))
    return render(request, "dfe/return.html", context)


def _download(request, ret):
    """The return (live or as filed) as the file `?export=` asks for: the whole CSV, one section's, or the XLSX."""
    if request.GET.get("export") == "xlsx":
        return return_xlsx(ret)
    section = request.GET.get("section")
    if not section:
        return return_csv(ret)
    if section not in SECTIONS:
        raise Http404(f"The return has no section “{section}”.")
    return section_csv(ret, section)


def _row_name(section: str, row: dict) -> str:
    """How the page names a row of a section in the list of changes."""
    return {
        "placements": lambda: f"Placement {row['placement']} ({row['worker_swe_number']})",
        "breaches": lambda: f"Breach case {row['breach']}",
        "sign_offs": lambda: f"Cap exception {row['cap_exception']}",
        "agencies": lambda: row["agency"],
        "monthly_costs": lambda: row["month"],
        "compliance": lambda: row["rule_label"],
    }[section]()


def _changes_shown(filed: dict, diff: dict) -> list[dict] | None:
    """The differences as the page lists them, section by section (only sections that changed): rows added and
    removed as table rows with the section's headings, changed rows as 'heading: filed → now'. None: no change."""
    if not has_differences(diff):
        return None
    shown = []
    for key, section in diff.items():
        if not any(section.values()):
            continue
        title, columns = SECTIONS[key]
        heading = dict(columns)
        filed_rows = {row[SECTION_KEYS[key]]: row for row in filed.get(key, [])}
        shown.append(
            {
                "key": key,
                "title": title,
                "headings": [name for _, name in columns],
                "added": [[_shown(row.get(name)) for name, _ in columns] for row in section["added"]],
                "removed": [[_shown(row.get(name)) for name, _ in columns] for row in section["removed"]],
                "changed": [
                    {
                        "row": _row_name(key, filed_rows[change["key"]]),
                        "fields": [
                            {
                                "heading": heading.get(field["field"], field["field"]),
                                "filed": _shown(field["filed"]),
                                "now": _shown(field["now"]),
                            }
                            for field in change["fields"]
                        ],
                    }
                    for change in section["changed"]
                ],
            }
        )
    return shown


def _return_url(authority, quarter) -> str:
    return f"{reverse('dfe:return')}?{urlencode({'authority': authority.code, 'quarter': str(quarter)})}"


@council_or_coordinator_required
def file_page(request):
    """Confirm, then file, a quarter's return: what filing means, the optional note, the button. A quarter not ended
    or already filed is refused with the reason, and nothing is stored."""
    today = timezone.localdate()
    code = request.GET.get("authority") or (request.user.authority.code if request.user.is_council else "")
    try:
        authority = authority_by_code(code, user=request.user) if code else None
    except UnknownAuthority:
        authority = None
    if authority is None:
        raise Http404("No such authority among those whose return you may file.")
    try:
        quarter = Quarter.parse(request.GET.get("quarter") or "")
    except BadQuarter as error:
        return render(request, "dfe/file.html", {"authority": authority, "refusals": [str(error)]}, status=400)
    refusals = []
    if refusal := quarter_refusal(quarter, today=today):
        refusals.append(refusal)
    elif filing_of(authority=authority, quarter=quarter) is not None:
        return redirect(_return_url(authority, quarter))  # the return's page says who filed it and when
    form = FileReturnForm(request.POST or None)
    if request.method == "POST" and not refusals and form.is_valid():
        try:
            filing = dfe_return_file(
                authority=authority, quarter=quarter, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{authority}'s DfE return for {quarter} is filed, by {filing.filed_by} on "
                f"{timezone.localtime(filing.filed_at):%-d %B %Y}. It is kept as filed from now on.",
            )
            return redirect(_return_url(authority, quarter))
    ret = None if refusals else dfe_return(authority=authority, quarter=quarter)
    context = {
        "authority": authority,
        "quarter": quarter,
        "form": form,
        "refusals": refusals,
        "ret": ret,
        "return_url": _return_url(authority, quarter),
    }
    return render(request, "dfe/file.html", context, status=400 if refusals or form.errors else 200)
