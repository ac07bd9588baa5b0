"""The MoU versions page (every version with its caps; drafts for the coordinator and analysts only) and the
coordinator's what-if for a draft (`mou.whatif`): tables by role, agency and authority, the placements, exports."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import coordinator_required, regional_required
from futuresocial.charts import Series, bar_chart
from futuresocial.exports import Table, table_export
from futuresocial.forms import add_service_errors
from futuresocial.scoping import visible_to
from mou.forms import ENGAGEMENT_COLUMNS, AdoptForm, CapGridForm, VersionForm
from mou.models import MouVersion
from mou.selectors import latest_adopted_version
from mou.services import (
    adoption_preview,
    mou_version_bring_into_force,
    mou_version_discard_draft,
    mou_version_draft,
    mou_version_draft_from,
    mou_version_update_draft,
)
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


# The versions page's sections, in the order a coordinator reads them.
SECTIONS = [
    (MouVersion.Status.DRAFT, "Drafts", "Working copies: they bind nothing until adopted."),
    (
        MouVersion.Status.SCHEDULED,
        "Scheduled",
        "Adopted for a later date: each binds work from its date and comes into force on that day by itself.",
    ),
    (MouVersion.Status.IN_FORCE, "In force", ""),
    (MouVersion.Status.SUPERSEDED, "Superseded", "The history: each still binds the work done while it was in force."),
]


@login_required
def version_list(request):
    versions = list(_versions(request.user))
    sections = [
        {"status": status, "title": title, "about": about, "versions": [v for v in versions if v.status == status]}
        for status, title, about in SECTIONS
    ]
    return render(
        request,
        "mou/version_list.html",
        {
            "versions": versions,
            "sections": [s for s in sections if s["versions"]],
            "start_from": latest_adopted_version(),
        },
    )


# --- The coordinator's editor


def _editor(request, version, version_form, grid, *, status=200):
    result = what_if(version=version) if version is not None else None
    return render(
        request,
        "mou/version_form.html",
        {
            "version": version,
            "form": version_form,
            "grid": grid,
            "columns": ENGAGEMENT_COLUMNS,
            "result": result,
            "today": timezone.localdate(),
            "annual_saving": abs(result.totals["annual_change"]) if result else None,  # never an increase
        },
        status=status,
    )


@coordinator_required
def version_new(request):
    """A new, empty draft."""
    version_form = VersionForm(request.POST or None)
    grid = CapGridForm(request.POST or None)
    if request.method == "POST" and version_form.is_valid() and grid.is_valid():
        try:
            version = mou_version_draft(**version_form.cleaned_data, caps=grid.caps(), by=request.user)
        except ValidationError as error:
            add_service_errors(version_form, error)
        else:
            messages.success(request, f"The draft “{version.name}” is saved. Adopt it when it is agreed.")
            return redirect("mou:edit", pk=version.pk)
    return _editor(request, None, version_form, grid, status=400 if request.method == "POST" else 200)


@require_POST
@coordinator_required
def version_from_current(request):
    source = latest_adopted_version()
    if source is None:
        messages.info(request, "No version has been adopted yet: start an empty draft.")
        return redirect("mou:versions")
    version = mou_version_draft_from(source, by=request.user)
    messages.success(
        request, f"The draft “{version.name}” is a copy of {source.name}: change what the new version changes."
    )
    return redirect("mou:edit", pk=version.pk)


@coordinator_required
def version_edit(request, pk):
    version = get_object_or_404(MouVersion.objects.prefetch_related("caps__role"), pk=pk)
    if not version.is_draft:
        messages.info(
            request,
            f"{version.name} is {version.get_status_display().lower()}: an adopted version never "
            "changes. Start a draft to change the MoU.",
        )
        return redirect(f"{reverse('mou:versions')}#version-{version.pk}")
    version_form = VersionForm(request.POST or None, initial=VersionForm.initial_of(version))
    grid = CapGridForm(request.POST or None, version=version)
    if request.method == "POST" and version_form.is_valid() and grid.is_valid():
        changes = dict(version_form.cleaned_data)
        if changes["binds_existing_from"] is None:
            changes["binds_existing_from"] = changes["effective_from"]
        elif changes["binds_existing_from"] == version.binds_existing_from:
            # Left as it was: it moves with the effective date, as the service does when not told otherwise.
            del changes["binds_existing_from"]
        try:
            with transaction.atomic():
                version = mou_version_update_draft(version=version, caps=grid.caps(), by=request.user, **changes)
        except ValidationError as error:
            add_service_errors(version_form, error)
        else:
            if request.POST.get("adopt"):
                # "Save and adopt": what is on the screen is what the confirmation page shows and adopts.
                return redirect("mou:adopt", pk=version.pk)
            messages.success(request, f"The draft “{version.name}” is saved.")
            return redirect("mou:edit", pk=version.pk)
    return _editor(request, version, version_form, grid, status=400 if request.method == "POST" else 200)


@coordinator_required
def version_discard(request, pk):
    """Throwing a draft away, after a page that asks."""
    version = get_object_or_404(MouVersion, pk=pk)
    if not version.is_draft:
        messages.info(request, f"{version.name} is {version.get_status_display().lower()}: it is never deleted.")
        return redirect(f"{reverse('mou:versions')}#version-{version.pk}")
    if request.method == "POST":
        mou_version_discard_draft(version=version, by=request.user)
        messages.success(request, f"The draft “{version.name}” is discarded.")
        return redirect("mou:versions")
    return render(request, "mou/version_discard.html", {"version": version})


@coordinator_required
def version_adopt(request, pk):
    """Adopting a draft: a page that says exactly what will happen, then the confirmation."""
    version = get_object_or_404(MouVersion, pk=pk)
    try:
        preview = adoption_preview(version)
    except ValidationError as error:
        return render(request, "mou/version_adopt.html", {"version": version, "refusal": error.messages}, status=400)
    form = AdoptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adoption = mou_version_bring_into_force(version, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, adoption.summary)
            return redirect("mou:versions")  # the message at the top says what happened
    return render(
        request,
        "mou/version_adopt.html",
        {"version": version, "preview": preview, "form": form, "caps": version.caps.select_related("role")},
        status=400 if form.errors else 200,
    )


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
