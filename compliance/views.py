"""Compliance pages: the breach list (read-only, scoped) and the audit runs a coordinator starts and watches."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import coordinator_required, regional_required
from accounts.selectors import CLOSED_BREACH_STATUSES
from compliance.models import AuditRun, Breach
from compliance.services import audit_request
from futuresocial.scoping import visible_to

PAGE_SIZE = 50
UNRESOLVED = "unresolved"
# The rules in a few words, for a table's column; the full wording (Breach.Rule's label) is the cell's tooltip.
RULE_SHORT = {
    Breach.Rule.PAY_RATE_ABOVE_CAP: "Pay over the cap",
    Breach.Rule.CHARGE_RATE_ABOVE_CAP: "Charge over the cap",
    Breach.Rule.SUSPENDED_AGENCY: "Agency suspended",
    Breach.Rule.COOLING_OFF: "Cooling-off period",
    Breach.Rule.EXPERIENCE_BELOW_MINIMUM: "Experience below minimum",
    Breach.Rule.MANUAL: "Reported",
}


class BreachFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), (UNRESOLVED, "Not yet resolved or dismissed"), *Breach.Status.choices],
        required=False,
    )
    rule = forms.ChoiceField(choices=[("", "Any rule"), *Breach.Rule.choices], required=False)


@login_required
def breach_list(request):
    breaches = visible_to(
        Breach.objects.select_related("agency", "authority", "placement__worker", "placement__role", "mou_version"),
        request.user,
    ).order_by("-detected_at", "-id")
    form = BreachFilterForm(request.GET or None)
    if form.is_valid():
        status, rule = form.cleaned_data["status"], form.cleaned_data["rule"]
        if status == UNRESOLVED:
            breaches = breaches.exclude(status__in=CLOSED_BREACH_STATUSES)
        elif status:
            breaches = breaches.filter(status=status)
        if rule:
            breaches = breaches.filter(rule=rule)
    page = Paginator(breaches, PAGE_SIZE).get_page(request.GET.get("page"))
    for breach in page.object_list:
        breach.rule_short = RULE_SHORT.get(breach.rule, breach.get_rule_display())
    return render(
        request,
        "compliance/breach_list.html",
        {"form": form, "page": page, "filtered": form.is_bound and any(form.cleaned_data.values())},
    )


# --- Audit runs


def _runs(user):
    return visible_to(AuditRun.objects.select_related("requested_by"), user)


@regional_required
def audit_list(request):
    page = Paginator(_runs(request.user).order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "compliance/audit_list.html", {"page": page, "may_start": request.user.is_coordinator})


@coordinator_required
@require_POST
def audit_start(request):
    run = audit_request(trigger="manual", by=request.user)
    if run.requested_by_id == request.user.pk:
        messages.success(request, f"Audit run {run.pk} is queued; this page follows it as it runs.")
    else:
        # audit_request hands back the run already waiting: it will judge the same lines.
        messages.info(
            request, f"An audit was already waiting to run (run {run.pk}); it checks every line not yet checked."
        )
    return redirect("compliance:audit-detail", pk=run.pk)


@regional_required
def audit_detail(request, pk):
    run = get_object_or_404(_runs(request.user), pk=pk)
    return render(
        request,
        "compliance/audit_detail.html",
        {"run": run, "watching": run.status in (AuditRun.Status.QUEUED, AuditRun.Status.RUNNING)},
    )


@regional_required
def audit_progress(request, pk):
    """What static/js/audit-progress.js polls every 2 seconds while a run is queued or running."""
    run = get_object_or_404(_runs(request.user), pk=pk)
    return JsonResponse(audit_progress_payload(run))


def audit_progress_payload(run):
    return {
        "id": run.pk,
        "status": run.status,
        "status_display": run.get_status_display(),
        "progress": run.progress,
        "lines_checked": run.lines_checked,
        "placements_checked": run.placements_checked,
        "breaches_found": run.breaches_found,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
        "done": run.status in (AuditRun.Status.FINISHED, AuditRun.Status.FAILED),
    }
