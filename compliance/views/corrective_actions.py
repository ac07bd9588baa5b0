"""Corrective-action pages: the coordinator drafts, issues, follows and completes agreements; an agency reads and
signs its own in the portal; a council reads those citing breach cases at its authority.

Views are thin: every action is looked up through `visible_to` (another tenant's is a 404, and only the
region sees drafts), role checks are `accounts.decorators`, and every write is a service of
`compliance.corrective_actions` whose refusals are shown to the person who tried.
"""

from datetime import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import agency_user_required, coordinator_required
from agencies.models import Agency
from compliance.corrective_actions import (
    CITABLE_BREACH_STATUSES,
    LIVE_STATUSES,
    allowed_steps,
    cited_breaches,
    corrective_action_complete,
    corrective_action_draft,
    corrective_action_issue,
    corrective_action_item_done,
    corrective_action_sign,
    corrective_action_update,
)
from compliance.filters import CorrectiveActionListFilterSet
from compliance.forms import (
    CorrectiveActionForm,
    ItemDoneForm,
    ItemFormSet,
    SignForm,
    items_from,
)
from compliance.models import Breach, CorrectiveAction, CorrectiveActionItem
from futuresocial.forms import add_service_errors
from futuresocial.scoping import visible_to
from futuresocial.security import client_ip
from region.models import Authority

PAGE_SIZE = 50


def _actions(user):
    return visible_to(CorrectiveAction.objects.all(), user).select_related("agency")


def _one(user, pk):
    return get_object_or_404(
        _actions(user).select_related("created_by", "issued_by", "signed_by", "completed_by"), pk=pk
    )


def _service_refusal(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- List


def _counted(rows, to_action: str, **conditions):
    """How many of `rows` belong to each action (and meet `conditions`): a subquery per action listed, so the list's
    page of 50 is counted, not every action (a join and GROUP BY over all of them came first: 20 ms at 1,000)."""
    counted = (
        rows.filter(**{to_action: OuterRef("pk")}, **conditions).order_by().values(to_action).annotate(n=Count("*"))
    )
    return Coalesce(Subquery(counted.values("n")), 0)


def with_progress(actions):
    """Each action with its counts (remedial actions, done, breach cases) and the due date of its next undone
    remedial action, in the list's one query."""
    next_due = (
        CorrectiveActionItem.objects.filter(corrective_action=OuterRef("pk"), done_on__isnull=True)
        .order_by("due_on")
        .values("due_on")[:1]
    )
    items = CorrectiveActionItem.objects.all()
    return actions.annotate(
        items_count=_counted(items, "corrective_action"),
        items_done=_counted(items, "corrective_action", done_on__isnull=False),
        breaches_count=_counted(CorrectiveAction.breaches.through.objects.all(), "correctiveaction"),
        next_due_on=Subquery(next_due),
    )


@login_required
def corrective_action_list(request):
    today = timezone.localdate()
    actions = with_progress(_actions(request.user)).order_by("-created_at", "-id")
    filters = CorrectiveActionListFilterSet(request.GET or None, queryset=actions, user=request.user, today=today)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for action in page.object_list:
        live = action.status in LIVE_STATUSES and action.next_due_on is not None
        action.overdue = live and action.next_due_on < today
        action.due_in_days = (action.next_due_on - today).days if live else None
    return render(
        request,
        "compliance/corrective_list.html",
        {
            "filter": filters,
            "page": page,
            "filtered": any(request.GET.get(name) for name in filters.filters),
            "today": today,
        },
    )


# --- Drafting


def _breach_ids(raw: str) -> list[int]:
    return sorted({int(part) for part in raw.replace(" ", "").split(",") if part.isdigit()})


@coordinator_required
def corrective_action_new(request):
    """Draft an agreement: from the breach queue (`?breaches=1,2,3`, all of one agency), or for an agency
    (`?agency=ID`), or, with neither, by first choosing the agency."""
    ids = _breach_ids(request.GET.get("breaches", ""))
    chosen = list(Breach.objects.filter(pk__in=ids).select_related("agency").order_by("pk"))
    missing = sorted(set(ids) - {b.pk for b in chosen})
    if missing:
        messages.error(request, f"No breach case {', '.join(map(str, missing))}: left out.")
    agencies = {b.agency for b in chosen}
    if len(agencies) > 1:
        by_agency = "; ".join(
            f"{agency.name}: {', '.join(str(b.pk) for b in chosen if b.agency == agency)}"
            for agency in sorted(agencies, key=lambda a: a.name)
        )
        messages.error(
            request,
            f"A corrective action is with one agency, and these breach cases are of {len(agencies)} ({by_agency}). "
            "Choose the cases of one agency.",
        )
        return _choose_agency(request)
    if agencies:
        agency = agencies.pop()
    elif request.GET.get("agency", "").isdigit():
        agency = get_object_or_404(Agency, pk=request.GET["agency"])
    else:
        return _choose_agency(request)

    form = CorrectiveActionForm(request.POST or None, agency=agency, initial={"breaches": chosen})
    formset = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            action = corrective_action_draft(
                agency=agency,
                breaches=form.cleaned_data["breaches"],
                items=items_from(formset),
                summary=form.cleaned_data["summary"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Corrective action {action.pk} drafted. Check it, then issue it to {agency.name} to sign."
            )
            return redirect("compliance:corrective-action", pk=action.pk)
    return render(
        request, "compliance/corrective_form.html", {"form": form, "formset": formset, "agency": agency, "action": None}
    )


def _choose_agency(request):
    agencies = (
        Agency.objects.annotate(
            citable=Count("breaches", filter=Q(breaches__status__in=CITABLE_BREACH_STATUSES)),
            excess=Sum("breaches__excess_amount", filter=Q(breaches__status__in=CITABLE_BREACH_STATUSES)),
        )
        .filter(citable__gt=0)
        .order_by("name")
    )
    return render(request, "compliance/corrective_choose_agency.html", {"agencies": agencies})


@coordinator_required
def corrective_action_edit(request, pk):
    action = _one(request.user, pk)
    if "edit" not in allowed_steps(action):
        messages.error(
            request,
            f"Corrective action {action.pk} is {action.get_status_display().lower()}: only a "
            "draft can be changed, so the agency signs what it was sent.",
        )
        return redirect("compliance:corrective-action", pk=action.pk)
    cited = list(action.breaches.all())
    items = list(action.items.order_by("due_on", "id"))
    form = CorrectiveActionForm(
        request.POST or None, agency=action.agency, cited=cited, initial={"breaches": cited, "summary": action.summary}
    )
    formset = ItemFormSet(
        request.POST or None,
        prefix="items",
        initial=[{"description": i.description, "due_on": i.due_on} for i in items],
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            corrective_action_update(
                action=action,
                breaches=form.cleaned_data["breaches"],
                items=items_from(formset),
                summary=form.cleaned_data["summary"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Corrective action {action.pk} saved.")
            return redirect("compliance:corrective-action", pk=action.pk)
    return render(
        request,
        "compliance/corrective_form.html",
        {"form": form, "formset": formset, "agency": action.agency, "action": action},
    )


# --- One action


def timeline(action, items):
    """What happened to an agreement, oldest first: its own steps and each remedial action recorded as done. The
    steps follow each other by rule (remedial actions are done after signing and before completing), so that order
    is kept; a remedial action is recorded by its day only."""
    steps = [(action.created_at, "Drafted", action.created_by)]
    if action.issued_at:
        steps.append((action.issued_at, f"Issued to {action.agency.name} to sign", action.issued_by))
    if action.signed_at:
        steps.append(
            (action.signed_at, f"Signed by {action.signed_name} on behalf of {action.agency.name}", action.signed_by)
        )
    for item in sorted((i for i in items if i.done_on), key=lambda i: (i.done_on, i.pk)):
        steps.append((item.done_on, f"Remedial action done: {item.description}", item.done_by))
    if action.completed_at:
        steps.append((action.completed_at, "Completed: every remedial action done", action.completed_by))
    if action.lapsed_at:
        steps.append((action.lapsed_at, "Lapsed: a remedial action was not done by its due date", None))
    return [
        {"when": when, "what": what, "who": who, "has_time": isinstance(when, datetime)} for when, what, who in steps
    ]


def _agreement_context(request, action):
    user = request.user
    breaches = list(cited_breaches(action=action, user=user))
    items = list(action.items.select_related("done_by").order_by("due_on", "id"))
    hidden = 0 if user.is_regional or user.is_agency else action.breaches.count() - len(breaches)
    return {
        "action": action,
        "agency": action.agency,
        "breaches": breaches,
        "breaches_elsewhere": hidden,
        "excess_total": sum((b.excess_amount for b in breaches), start=Decimal("0.00")),
        "items": items,
        "authorities": Authority.objects.order_by("name"),
        "today": timezone.localdate(),
    }


@login_required
def corrective_action_detail(request, pk):
    action = _one(request.user, pk)
    context = _agreement_context(request, action)
    coordinator = request.user.is_coordinator
    items = context["items"]
    steps = allowed_steps(action)
    context |= {
        "timeline": timeline(action, items),
        "may_edit": coordinator and "edit" in steps,
        "may_issue": coordinator and "issue" in steps,
        "may_mark_done": coordinator and "mark_done" in steps,
        "may_complete": coordinator and "complete" in steps and all(i.done for i in items),
        "may_sign": request.user.is_agency and "sign" in steps,
        "done_form": ItemDoneForm(initial={"done_on": context["today"]}),
        "undone": sum(1 for i in items if not i.done),
    }
    return render(request, "compliance/corrective_detail.html", context)


@coordinator_required
@require_http_methods(["GET", "POST"])
def corrective_action_issue_view(request, pk):
    """GET: what issuing will do, with the agreement as it will be fixed (issuing cannot be undone); POST: issue."""
    action = _one(request.user, pk)
    if request.method == "GET":
        if action.status != CorrectiveAction.Status.DRAFT:
            return redirect("compliance:corrective-action", pk=action.pk)
        return render(request, "compliance/corrective_issue.html", _agreement_context(request, action))
    try:
        corrective_action_issue(action=action, by=request.user)
    except ValidationError as error:
        _service_refusal(request, error)
    else:
        messages.success(
            request,
            f"Corrective action {action.pk} issued: {action.agency.name}'s users were emailed a link to sign it.",
        )
    return redirect("compliance:corrective-action", pk=action.pk)


@coordinator_required
@require_POST
def corrective_action_item_done_view(request, pk, item_pk):
    action = _one(request.user, pk)
    item = get_object_or_404(action.items.all(), pk=item_pk)
    form = ItemDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date it was done as a date, e.g. 31/05/2025.")
        return redirect("compliance:corrective-action", pk=action.pk)
    try:
        item = corrective_action_item_done(item=item, by=request.user, done_on=form.cleaned_data["done_on"])
    except ValidationError as error:
        _service_refusal(request, error)
    else:
        messages.success(request, f"Recorded as done on {item.done_on:%d %B %Y}: {item.description}")
    return redirect("compliance:corrective-action", pk=action.pk)


@coordinator_required
@require_POST
def corrective_action_complete_view(request, pk):
    action = _one(request.user, pk)
    try:
        action = corrective_action_complete(action=action, by=request.user)
    except ValidationError as error:
        _service_refusal(request, error)
    else:
        messages.success(request, f"Corrective action {action.pk} completed; the breach cases it cited are resolved.")
    return redirect("compliance:corrective-action", pk=action.pk)


# --- The agency signs; anyone in scope prints


@agency_user_required
def corrective_action_sign_view(request, pk):
    action = _one(request.user, pk)  # another agency's agreement is a 404, like a draft
    form = SignForm(request.POST or None, agency=action.agency)
    if request.method == "POST" and "sign" in allowed_steps(action) and form.is_valid():
        try:
            corrective_action_sign(
                action=action, by=request.user, signed_name=form.cleaned_data["signed_name"], ip=client_ip(request)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Thank you: you signed corrective action {action.pk} on behalf of "
                f"{action.agency.name}. The coordinator has been told.",
            )
            return redirect("compliance:corrective-action-sign", pk=action.pk)
    elif request.method == "POST" and "sign" not in allowed_steps(action):
        messages.error(
            request,
            f"Corrective action {action.pk} is {action.get_status_display().lower()}: there is nothing to sign.",
        )
    context = _agreement_context(request, action) | {"form": form}
    return render(request, "compliance/corrective_sign.html", context)


@login_required
def corrective_action_agreement(request, pk):
    action = _one(request.user, pk)
    return render(request, "compliance/corrective_agreement.html", _agreement_context(request, action))
