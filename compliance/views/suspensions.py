"""Suspending an agency: the coordinator's page (compliance/suspensions.py holds the rules). The agency's own pages,
its suspensions, lifting and removing are agencies/views.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.decorators import coordinator_required
from agencies.models import Agency
from compliance.forms import SuspendForm
from compliance.suspensions import agency_suspend, agency_suspend_check
from futuresocial.forms import add_service_errors


@coordinator_required
def agency_suspend_page(request, pk):
    agency = get_object_or_404(Agency, pk=pk)
    if agency.standing == Agency.Standing.REMOVED:
        messages.error(
            request, f"{agency} has been removed from the MoU's list of agencies; a removed agency stays removed."
        )
        return redirect("agencies:detail", pk=agency.pk)
    initial = {"breaches": request.GET.getlist("breaches")} if request.method == "GET" else None
    form = SuspendForm(request.POST or None, agency=agency, initial=initial)
    if request.method == "POST" and form.is_valid() and "confirm" not in request.POST:
        # Suspending cannot be undone (lifting is another act, on the record): what it will do, before it is done,
        # and only for a suspension the service would impose.
        try:
            agency_suspend_check(agency=agency, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if "change" not in request.POST:
                context = {"agency": agency, "form": form, "data": form.cleaned_data}
                return render(request, "agencies/suspend_confirm.html", context)
    elif request.method == "POST" and form.is_valid():
        try:
            suspension = agency_suspend(agency=agency, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            when = (
                "from today"
                if suspension.starts_on <= timezone.localdate()
                else f"from {suspension.starts_on:%-d %B %Y}"
            )
            messages.success(
                request,
                f"{agency} is suspended {when}. Every council's users and the agency have been emailed.",
            )
            return redirect("agencies:detail", pk=agency.pk)
    return render(request, "agencies/suspend_form.html", {"agency": agency, "form": form})
