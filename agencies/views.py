"""Agency and suspension pages: every agency's standing (SPEC §2: every council sees it; an agency sees itself), an
agency's page with its suspensions and full standing history, and the coordinator's suspend, lift and remove.

Views are thin: rows go through `visible_to` (another tenant's agency or suspension is a 404), role checks are the
decorators of `accounts.decorators`, and every write is a service of `agencies.services`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.decorators import coordinator_required
from agencies.forms import AgencyDetailsForm, AgencyFilterForm, LiftForm, RemoveForm, SuspensionFilterForm
from agencies.models import Agency, Suspension
from agencies.selectors import STATE_LABELS, standing_history, suspension_state, suspensions_in_state
from agencies.services import agency_details_update, agency_remove, suspension_lift, suspension_lift_refusal
from futuresocial.forms import add_service_errors
from futuresocial.scoping import visible_to

PAGE_SIZE = 50


def _current_and_coming(today):
    """Suspensions not over on `today`: in effect, or starting later (the list and the agency page show them)."""
    return (
        Suspension.objects.filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=today))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))
        .exclude(lifted_on__lte=F("starts_on"))  # lifted before it started: never in effect
        .order_by("starts_on", "id")
    )


def _with_states(suspensions, today, *, user=None):
    """Each suspension with where it stands today, and whether `user` (the coordinator) may lift it now."""
    for suspension in suspensions:
        suspension.state = suspension_state(suspension, on=today)
        suspension.state_label = STATE_LABELS[suspension.state]
        suspension.liftable = (
            user is not None and user.is_coordinator and suspension_lift_refusal(suspension, today=today) is None
        )
    return suspensions


# --- Agencies


@login_required
def agency_list(request):
    today = timezone.localdate()
    agencies = visible_to(
        Agency.objects.select_related("supplied_through")
        .annotate(second_tier_count=Count("second_tier_agencies"))
        .prefetch_related(Prefetch("suspensions", queryset=_current_and_coming(today), to_attr="current_suspensions")),
        request.user,
    ).order_by("name")
    form = AgencyFilterForm(request.GET or None)
    if form.is_valid():
        q, standing, tier = (form.cleaned_data[name] for name in ("q", "standing", "tier"))
        if q:
            agencies = agencies.filter(Q(name__icontains=q) | Q(company_number__icontains=q))
        if standing:
            agencies = agencies.filter(standing=standing)
        if tier == "msp":
            agencies = agencies.filter(is_msp=True)
        elif tier == "second_tier":
            agencies = agencies.filter(supplied_through__isnull=False)
    page = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("page"))
    for agency in page.object_list:
        _with_states(agency.current_suspensions, today)
    return render(
        request,
        "agencies/agency_list.html",
        {"form": form, "page": page, "filtered": form.is_bound and any(form.cleaned_data.values()), "today": today},
    )


@login_required
def agency_detail(request, pk):
    today = timezone.localdate()
    agency = get_object_or_404(visible_to(Agency.objects.select_related("supplied_through"), request.user), pk=pk)
    suspensions = _with_states(
        list(
            agency.suspensions.select_related("imposed_by", "lifted_by")
            .annotate(breaches_count=Count("breaches"))
            .order_by("-starts_on", "-id")
        ),
        today,
        user=request.user,
    )
    return render(
        request,
        "agencies/agency_detail.html",
        {
            "agency": agency,
            "today": today,
            "suspensions": suspensions,
            "in_effect": [s for s in suspensions if s.state == "in_effect"],
            "second_tier": visible_to(agency.second_tier_agencies.all(), request.user).order_by("name"),
            "history": standing_history(agency=agency, today=today),
            "may_act": request.user.is_coordinator and agency.standing != Agency.Standing.REMOVED,
            "may_edit_details": _may_edit_details(request.user, agency),
        },
    )


def _may_edit_details(user, agency) -> bool:
    return user.is_coordinator or (user.is_agency and user.agency_id == agency.pk)


@login_required
def agency_details_edit(request, pk):
    """An agency keeps its own contact details; the coordinator may correct them. Others: not found."""
    agency = get_object_or_404(visible_to(Agency.objects.all(), request.user), pk=pk)
    if not _may_edit_details(request.user, agency):
        raise Http404("No agency of yours has that number.")
    form = AgencyDetailsForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        try:
            agency_details_update(agency=agency, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error, {})
        else:
            messages.success(request, "Your agency's details are saved." if request.user.is_agency else "Saved.")
            return redirect("agencies:detail", pk=agency.pk)
    return render(request, "agencies/agency_details_form.html", {"form": form, "agency": agency})


@coordinator_required
def agency_remove_page(request, pk):
    agency = get_object_or_404(Agency, pk=pk)
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency_remove(agency=agency, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{agency} is removed from the MoU's list of agencies.")
            return redirect("agencies:detail", pk=agency.pk)
    return render(request, "agencies/remove_form.html", {"agency": agency, "form": form})


# --- Suspensions


def _suspensions(user):
    return visible_to(Suspension.objects.select_related("agency", "imposed_by", "lifted_by"), user)


@login_required
def suspension_list(request):
    today = timezone.localdate()
    suspensions = _suspensions(request.user).annotate(breaches_count=Count("breaches")).order_by("-starts_on", "-id")
    form = SuspensionFilterForm(request.GET or None, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("state"):
            suspensions = suspensions_in_state(suspensions, state=data["state"], on=today)
        if data.get("kind"):
            suspensions = suspensions.filter(kind=data["kind"])
        if data.get("agency"):
            suspensions = suspensions.filter(agency=data["agency"])
    page = Paginator(suspensions, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_states(page.object_list, today)
    return render(
        request,
        "agencies/suspension_list.html",
        {"form": form, "page": page, "filtered": form.is_bound and any(form.cleaned_data.values())},
    )


@login_required
def suspension_detail(request, pk):
    today = timezone.localdate()
    suspension = get_object_or_404(_suspensions(request.user), pk=pk)
    _with_states([suspension], today, user=request.user)
    cited = suspension.breaches.order_by("-detected_at", "-id")
    breaches = visible_to(cited.select_related("placement__worker", "authority"), request.user)
    return render(
        request,
        "agencies/suspension_detail.html",
        {
            "suspension": suspension,
            "breaches": breaches,
            "breaches_elsewhere": cited.count() - len(breaches),
        },
    )


@coordinator_required
def suspension_lift_page(request, pk):
    suspension = get_object_or_404(_suspensions(request.user), pk=pk)
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suspension = suspension_lift(
                suspension=suspension,
                by=request.user,
                reason=form.cleaned_data["lift_reason"],
                on=form.cleaned_data["lifted_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"The suspension of {suspension.agency} is lifted from {suspension.lifted_on:%-d %B %Y}. "
                "Every council's users and the agency have been emailed.",
            )
            return redirect("agencies:detail", pk=suspension.agency_id)
    return render(
        request,
        "agencies/lift_form.html",
        {
            "suspension": suspension,
            "form": form,
            "liftable": suspension_lift_refusal(suspension, today=timezone.localdate()) is None,
        },
    )
