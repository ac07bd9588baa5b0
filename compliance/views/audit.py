"""Compliance pages: the audit runs a coordinator starts and watches. (Breach pages: compliance/views/breaches.py.)"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import coordinator_required, regional_required
from compliance.models import AuditRun
from compliance.services import audit_request
from futuresocial.scoping import visible_to

PAGE_SIZE = 50


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
        {
            "run": run,
            "watching": run.status in (AuditRun.Status.QUEUED, AuditRun.Status.RUNNING),
            # The changes it judged work again for (a late cap exception, a version recorded for the past...).
            "rejudges": run.rejudges.order_by("id")[:50],
        },
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
