"""The MoU versions page (every version with its caps; drafts for the coordinator and analysts only) and the
coordinator's what-if for a draft (`mou.whatif`): tables by role, agency and authority, the placements, exports."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts.decorators import regional_required
from futuresocial.charts import Series, bar_chart
from futuresocial.exports import Table, table_export
from futuresocial.scoping import visible_to
from mou.models import MouVersion
from mou.whatif import TALLY_FIELDS, what_if

PAGE_SIZE = 50

TALLY_COLUMNS = [
    "Current placements",
    "Above the caps now",
    "Above the draft's caps",
    "Newly above",
    "No longer above",
    "Annual cost now (£)",
    "Annual change (£)",
]


def _versions(user):
    """The versions `user` may see: a draft is the coordinator's working copy, seen regionally only."""
    return visible_to(MouVersion.objects.prefetch_related("caps__role").order_by("-effective_from", "-id"), user)


@login_required
def version_list(request):
    return render(request, "mou/version_list.html", {"versions": _versions(request.user)})


class WhatIfForm(forms.Form):
    on = forms.DateField(
        label="Placements running on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default: today",
    )


def _tally_table(rows, *, title, filename, label_columns, label_keys):
    return Table(
        title=title,
        columns=label_columns + TALLY_COLUMNS,
        rows=[[row[key] for key in label_keys + TALLY_FIELDS] for row in rows],
        filename=filename,
    )


def _placements_table(placements, *, filename):
    return Table(
        title="Placements above the caps",
        columns=[
            "Placement",
            "Worker (SWE)",
            "Authority",
            "Agency",
            "Role",
            "Engagement",
            "Start",
            "End",
            "Pay £/h",
            "Draft pay cap £/h",
            "Pay excess £/h",
            "Charge £/h",
            "Draft charge cap £/h",
            "Charge excess £/h",
            "Pay cap now £/h",
            "Charge cap now £/h",
            "Above the caps now",
            "Above the draft's caps",
            "Annual change (£)",
            "Cap exception until",
        ],
        rows=[
            [
                p.id,
                p.worker_swe_number,
                p.authority_name,
                p.agency_name,
                p.role_code,
                p.engagement_type_label,
                p.start_date,
                p.end_date,
                p.pay_rate,
                p.draft_pay_cap,
                p.pay_excess,
                p.charge_rate,
                p.draft_charge_cap,
                p.charge_excess,
                p.now_pay_cap,
                p.now_charge_cap,
                "yes" if p.above_cap_now else "no",
                "yes" if p.above_draft_cap else "no",
                p.annual_change,
                p.cap_exception_until,
            ]
            for p in placements
        ],
        filename=filename,
    )


def _percent(part, whole):
    return (part / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole else None


@regional_required
def version_what_if(request, pk):
    version = get_object_or_404(MouVersion.objects.prefetch_related("caps__role"), pk=pk)
    if not version.is_draft:
        return render(request, "mou/what_if.html", {"version": version})
    form = WhatIfForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "mou/what_if.html", {"version": version, "form": form}, status=400)
    result = what_if(version=version, on=form.cleaned_data.get("on") if form.is_bound else None)
    stem = f"what-if-{version.pk}-{result.on:%Y-%m-%d}"
    tables = [
        _tally_table(
            result.by_role,
            title="By role",
            filename=f"{stem}-by-role",
            label_columns=["Role", "Role name"],
            label_keys=["role", "role_name"],
        ),
        _tally_table(
            result.by_authority,
            title="By authority",
            filename=f"{stem}-by-authority",
            label_columns=["Authority code", "Authority"],
            label_keys=["authority", "authority_name"],
        ),
        _tally_table(
            result.by_agency,
            title="By agency",
            filename=f"{stem}-by-agency",
            label_columns=["Agency"],
            label_keys=["agency_name"],
        ),
    ]
    placements_slug = f"{stem}-placements"
    if request.GET.get("table") == placements_slug:
        # The whole list, only when it is the download asked for.
        tables.append(_placements_table(result.placements, filename=placements_slug))
    if response := table_export(request, *tables):
        return response
    capped_roles = [row for row in result.by_role if row["capped"]]
    chart = bar_chart(
        [row["role"] for row in capped_roles],
        [
            Series("Above the caps now", [(row["role"], row["above_cap_now"]) for row in capped_roles]),
            Series("Above the draft's caps", [(row["role"], row["above_draft_cap"]) for row in capped_roles]),
        ],
        y_label="placements",
        title="Current placements above the caps, by role",
    )
    totals = result.totals
    for row in result.by_authority:
        row["change_percent"] = _percent(row["annual_change"], row["annual_cost"])
    return render(
        request,
        "mou/what_if.html",
        {
            "version": version,
            "form": form,
            "result": result,
            "totals": totals,
            "change_percent": _percent(totals["annual_change"], totals["annual_cost"]),
            "annual_saving": abs(totals["annual_change"]),  # the change is never an increase
            "chart": chart,
            "slugs": {"role": tables[0].slug, "authority": tables[1].slug, "agency": tables[2].slug},
            "placements_slug": placements_slug,
            "page": Paginator(result.placements, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )
