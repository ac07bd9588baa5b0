"""The records a council keeps on pages, through the same services as the API: permanent leavers (the cooling-off
rule's facts) and cap exceptions (its signed approvals to pay above the cap on a placement)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from futuresocial.forms import add_service_errors
from futuresocial.scoping import visible_to
from placements.forms import CapExceptionForm, PermanentLeaverForm
from placements.models import PermanentLeaver, Placement
from placements.services import cap_exception_record, permanent_leaver_record

PAGE_SIZE = 50


def _may_record(user) -> bool:
    """Councils (their own authority's) and the coordinator (any) record leavers and cap exceptions."""
    return user.is_coordinator or (user.is_council and user.authority_id is not None)


@login_required
def leaver_list(request):
    user = request.user
    if user.is_agency:
        raise PermissionDenied("Permanent leavers are the councils' records.")
    leavers = visible_to(PermanentLeaver.objects.select_related("authority", "worker"), user)
    page = Paginator(leavers.order_by("-left_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "placements/leaver_list.html", {"page": page, "may_record": _may_record(user)})


@login_required
@require_http_methods(["GET", "POST"])
def leaver_new(request):
    user = request.user
    if not _may_record(user):
        raise PermissionDenied("Only a council or the coordinator records permanent leavers.")
    form = PermanentLeaverForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            leaver = permanent_leaver_record(
                authority=data["authority"] if user.is_regional else user.authority,
                worker_swe_number=data["worker_swe_number"],
                left_on=data["left_on"],
                reason=data["reason"],
                by=user,
            )
        except ValidationError as error:
            add_service_errors(form, error, {"worker": "worker_swe_number"})
        else:
            messages.success(
                request,
                f"Recorded: {leaver.worker.swe_number} left {leaver.authority} on {leaver.left_on:%-d %B %Y}. "
                "The audit judges the worker's agency placements against the cooling-off period.",
            )
            return redirect("placements:leavers")
    return render(request, "placements/leaver_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def cap_exception_new(request, pk):
    user = request.user
    placement = get_object_or_404(visible_to(Placement.objects.select_related("worker", "authority"), user), pk=pk)
    if not _may_record(user):
        raise PermissionDenied("Only the placement's council or the coordinator records a cap exception.")
    form = CapExceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exception = cap_exception_record(placement=placement, by=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error, {})
        else:
            messages.success(
                request,
                f"Cap exception recorded: pay above the cap is approved from {exception.valid_from:%-d %B %Y} to "
                f"{exception.valid_until:%-d %B %Y}.",
            )
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/cap_exception_form.html", {"form": form, "placement": placement})
