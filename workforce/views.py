"""Pages of the workforce figures: councils' returns (list, submit, resubmit, upload) and the workforce trends
dashboard (SPEC §3, §5).

Who sees what on the trends pages: the coordinator and analysts every authority and the region. A council sees its
own authority's page and the region's; the side-by-side comparison shows every authority's **official** figures to
everyone, because they are public statistics (published by the DfE under the Open Government Licence), while other
authorities' **returns** stay hidden from a council. Agency users have no dashboards.
"""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.decorators import role_required
from futuresocial.charts import Series, bar_chart, line_chart
from futuresocial.exports import Cell, Table, table_export
from futuresocial.scoping import visible_to
from futuresocial.uploads import upload_page
from region.areas import ENGLAND, REGIONS
from region.models import Authority
from region.selectors import deployment_region, region_label
from workforce import selectors
from workforce.filters import WorkforceReturnFilterSet
from workforce.forms import WorkforceReturnForm, WorkforceReturnUploadForm
from workforce.models import WorkforceReturn
from workforce.selectors import RATES, SUPPRESSION_CODES, Source
from workforce.services import workforce_return_submit
from workforce.uploads import COLUMNS, workforce_returns_upload

PAGE_SIZE = 50
RATE_LABELS = {"agency_rate": "Agency rate", "turnover_rate": "Turnover", "vacancy_rate": "Vacancy rate"}

readers_required = role_required(
    lambda user: user.reads_figures,
    denial="Workforce figures are for the councils, the coordinator and analysts.",
)
submitters_required = role_required(
    lambda user: user.is_coordinator or (user.is_council and user.authority_id is not None),
    denial="Only councils and the workforce coordinator submit workforce returns.",
)


# --- Returns


@readers_required
def return_list(request):
    returns = visible_to(WorkforceReturn.objects.select_related("authority", "submitted_by"), request.user)
    filters = WorkforceReturnFilterSet(request.GET or None, queryset=returns, user=request.user)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workforce/return_list.html",
        {
            "filter": filters,
            "page": page,
            "may_submit": request.user.is_coordinator or request.user.is_council,
            "filtered": any(request.GET.get(name) for name in ("authority", "period_end_after", "period_end_before")),
        },
    )


def _submit(request, form, *, instance=None):
    data = dict(form.cleaned_data)
    try:
        workforce_return, created = workforce_return_submit(**data, by=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    verb = "submitted" if created else "resubmitted: the earlier figures are kept in its history"
    messages.success(
        request, f"Return of {workforce_return.authority} for {workforce_return.period_end:%d/%m/%Y} {verb}."
    )
    return redirect("workforce:returns")


@submitters_required
def return_new(request):
    form = WorkforceReturnForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and (response := _submit(request, form)):
        return response
    return render(request, "workforce/return_form.html", {"form": form})


@submitters_required
def return_edit(request, pk):
    workforce_return = get_object_or_404(
        visible_to(WorkforceReturn.objects.select_related("authority"), request.user), pk=pk
    )
    form = WorkforceReturnForm(request.POST or None, user=request.user, instance=workforce_return)
    if request.method == "POST" and form.is_valid() and (response := _submit(request, form)):
        return response
    return render(request, "workforce/return_form.html", {"form": form, "workforce_return": workforce_return})


@submitters_required
def return_upload(request):
    return upload_page(
        request,
        form_class=WorkforceReturnUploadForm,
        upload=workforce_returns_upload,
        template="workforce/return_upload.html",
        context={"columns": COLUMNS},
    )


@submitters_required
def return_upload_template(request):
    """A CSV template: the header and a row for the caller's authority (a council's own; else the first by name)."""
    authority = request.user.authority or Authority.objects.order_by("name").first()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="workforce-returns-template.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    writer.writerow(
        [authority.code if authority else "E08000029", "2025-09-30", "190.5", "32.0", "40.0", "28.5", "3.1"]
    )
    return response


# --- Workforce trends dashboard


def _cell(point, rate):
    """A rate for a table: the value, a Cell with the suppression code for a gap, or None (no figure that day)."""
    if point is None:
        return None
    value = point.rate(rate)
    if value is None:
        return Cell(None, point.suppressed.get(rate, ""))
    return value


def _trend_table(rate, *, area_name, official, returns, region):
    by_date = {}
    for source, points in (("official", official), ("returns", returns)):
        for point in points:
            by_date.setdefault(point.period_end, {})[source] = point
    columns = ["Period end", f"{RATE_LABELS[rate]} % official (DfE)", f"{RATE_LABELS[rate]} % council returns"]
    if region:
        columns.append("Authorities in the returns' sum")
    rows = []
    for period_end in sorted(by_date):
        points = by_date[period_end]
        row = [period_end, _cell(points.get("official"), rate), _cell(points.get("returns"), rate)]
        if region:
            row.append(points["returns"].authorities if "returns" in points else None)
        rows.append(row)
    return Table(
        title=f"{RATE_LABELS[rate]}, {area_name}",
        columns=columns,
        rows=rows,
        filename=f"workforce {rate} {area_name}",
        caption="— (code): suppressed in the official statistics or not applicable; see the codes below.",
    )


def _trend_chart(rate, *, area_name, official, returns, beside):
    beside_names = ", ".join(AREA_NAMES[code] for code in beside)
    return line_chart(
        [
            Series("official (DfE)", [(p.period_end, p.rate(rate)) for p in official]),
            Series("council returns", [(p.period_end, p.rate(rate)) for p in returns], kind="dashed"),
            *(
                Series(f"{AREA_NAMES[code]}, official", [(p.period_end, p.rate(rate)) for p in points])
                for code, points in beside.items()
            ),
        ],
        y_label="%",
        title=f"{RATE_LABELS[rate]}, {area_name}: official (DfE) and council returns"
        + (f", beside {beside_names} (official)" if beside else ""),
    )


def _beside_table(rate, *, region_name, official, beside):
    """The region's official rates beside England's and the other regions' chosen, as published."""
    codes = list(beside)
    by_date = {}
    for point in official:
        by_date.setdefault(point.period_end, {})[None] = point
    for code, points in beside.items():
        for point in points:
            by_date.setdefault(point.period_end, {})[code] = point
    names = [AREA_NAMES[code] for code in codes]
    return Table(
        title=f"{RATE_LABELS[rate]} % official (DfE), {region_name} beside {', '.join(names)}",
        columns=["Period end", region_name, *names],
        rows=[
            [period_end, *(_cell(by_date[period_end].get(code), rate) for code in [None, *codes])]
            for period_end in sorted(by_date)
        ],
        filename=f"workforce {rate} beside {' '.join(names)}",
        caption="Official (DfE) figures as published. — (code): suppressed; an empty cell: no figure that year.",
    )


AREA_NAMES = selectors.AREAS  # England and the regions by ONS code


def _areas_beside(request):
    """England, then the other regions the reader added (`?compare=<ONS code>`, any number), in the regions' order."""
    own = deployment_region().code
    wanted = set(request.GET.getlist("compare"))
    return [ENGLAND, *(code for code in REGIONS if code in wanted and code != own)]


def _period(value):
    try:
        return parse_date(value or "")
    except ValueError:  # the shape of a date, but no such day
        return None


def _comparison(request, *, user, authorities, areas, region_official):
    """The authorities side by side for one period end, from one source, sorted by a column (no JavaScript)."""
    source = request.GET.get("source")
    source = source if source in Source.values else Source.OFFICIAL
    periods = selectors.official_periods() if source == Source.OFFICIAL else selectors.returns_periods(user)
    period_end = _period(request.GET.get("period"))
    if period_end not in periods:
        period_end = periods[0] if periods else None
    sort = request.GET.get("sort") if request.GET.get("sort") in ("name", *RATES) else "agency_rate"
    descending = request.GET.get("order", "desc" if sort != "name" else "asc") == "desc"

    points, region = {}, None
    if period_end is not None:
        if source == Source.OFFICIAL:
            points = selectors.official_by_authority(period_end=period_end)
            region = next((p for p in region_official if p.period_end == period_end), None)
        else:
            points = selectors.returns_by_authority(period_end=period_end, user=user)
            region = selectors.region_returns_point(period_end=period_end, user=user)
    openable = {a.pk for a in areas}
    rows = [{"authority": a, "point": points[a.pk], "link": a.pk in openable} for a in authorities if a.pk in points]

    def key(row):
        if sort == "name":
            return (0, row["authority"].name)
        value = row["point"].rate(sort)
        # Gaps last whichever the order
        return (1, 0) if value is None else (0, -value if descending else value)

    rows.sort(key=key)
    if sort == "name" and descending:
        rows.reverse()

    label = Source(source).label
    when = f"{period_end:%d/%m/%Y}" if period_end else "no period"
    table = Table(
        title=f"Authorities compared, {when}, {label}",
        columns=["Authority", "Agency rate %", "Turnover %", "Vacancy rate %"],
        rows=[[row["authority"].name, *(_cell(row["point"], rate) for rate in RATES)] for row in rows]
        + ([[region_label(authorities=len(authorities)), *(_cell(region, rate) for rate in RATES)]] if region else []),
        filename=f"workforce authorities {period_end or ''} {source}",
    )
    chart = bar_chart(
        [row["authority"].name for row in rows],
        [
            Series(RATE_LABELS[rate], [(row["authority"].name, row["point"].rate(rate)) for row in rows])
            for rate in RATES
        ],
        y_label="%",
        title=f"Agency, turnover and vacancy rates by authority, {when}, {label}",
    )
    headers = []
    for column, title in (("name", "Authority"), *((rate, f"{RATE_LABELS[rate]} %") for rate in RATES)):
        current = sort == column
        headers.append(
            {
                "column": column,
                "title": title,
                "aria_sort": ("descending" if descending else "ascending") if current else None,
                "order": ("asc" if descending else "desc") if current else ("asc" if column == "name" else "desc"),
            }
        )
    for row in rows:
        row["cells"] = [_cell(row["point"], rate) for rate in RATES]
    return {
        "headers": headers,
        "region_cells": [_cell(region, rate) for rate in RATES] if region else None,
        "source": source,
        "source_label": label,
        "sources": Source.choices,
        "periods": periods,
        "period_end": period_end,
        "sort": sort,
        "order": "desc" if descending else "asc",
        "rows": rows,
        "region": region,
        "table": table,
        "chart": chart,
        "returns_hidden": source == Source.RETURNS and not user.is_regional,
    }


@readers_required
def trends(request, code=None):
    """Agency rate, turnover and vacancy over time for the region (with the authorities compared) or one authority:
    the official statistics beside the councils' returns."""
    user = request.user
    authorities = list(Authority.objects.order_by("name"))
    areas = selectors.trend_areas(user, authorities)
    authority = None
    if code is not None:
        authority = next((a for a in areas if a.code == code), None)
        if authority is None:
            raise Http404("No such authority among those you can see.")
    area_name = authority.name if authority else region_label(authorities=len(authorities))
    beside, beside_codes = {}, []
    if authority is None:
        # England always, and the regions the reader adds: their published rows, read with the region's own.
        beside_codes = _areas_beside(request)
        official, beside = selectors.official_region_beside(areas=beside_codes)
    else:
        official = selectors.official_series(authority=authority)
    returns = selectors.returns_series(authority=authority, user=user)

    sections = []
    for rate in RATES:
        sections.append(
            {
                "rate": rate,
                "label": RATE_LABELS[rate],
                "chart": _trend_chart(rate, area_name=area_name, official=official, returns=returns, beside=beside),
                "gaps": [
                    (point.period_end, label, point.suppressed[rate], SUPPRESSION_CODES.get(point.suppressed[rate], ""))
                    for label, points in (("official (DfE)", official), ("council returns", returns))
                    for point in points
                    if point.rate(rate) is None
                ],
                "table": _trend_table(
                    rate, area_name=area_name, official=official, returns=returns, region=not authority
                ),
                "beside_table": _beside_table(
                    rate, region_name=deployment_region().name, official=official, beside=beside
                )
                if beside
                else None,
            }
        )
    comparison = (
        _comparison(request, user=user, authorities=authorities, areas=areas, region_official=official)
        if authority is None
        else None
    )
    tables = (
        [section["table"] for section in sections]
        + ([comparison["table"]] if comparison else [])
        + [section["beside_table"] for section in sections if section["beside_table"]]
    )
    if response := table_export(request, *tables):
        return response

    codes = sorted(
        {
            code
            for p in [*official, *returns, *(p for ps in beside.values() for p in ps)]
            for code in p.suppressed.values()
        }
    )
    if comparison:
        codes = sorted(
            set(codes)
            | {c for row in comparison["rows"] for c in row["point"].suppressed.values()}
            | set(comparison["region"].suppressed.values() if comparison["region"] else ())
        )
    return render(
        request,
        "workforce/trends.html",
        {
            "authority": authority,
            "area_name": area_name,
            "areas": areas,
            "sections": sections,
            "comparison": comparison,
            "codes": [(code, SUPPRESSION_CODES.get(code, "not published")) for code in codes],
            "latest_official": official[-1] if official else None,
            "latest_return": returns[-1] if returns else None,
            "region_url": reverse("workforce:trends"),
            "region_name": deployment_region().name,
            "other_regions": [
                (code, name, code in beside_codes) for code, name in REGIONS.items() if code != deployment_region().code
            ],
            "today": timezone.localdate(),
        },
    )
