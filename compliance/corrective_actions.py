"""Corrective actions (SPEC §3): an agreement with an agency listing remedial actions with due dates.

draft → issued → signed (by a named agency user, in the portal) → completed; or lapsed when a due date passes
undone. The services here hold every rule of that life: who may take each step, from which status, and what it does
to the cited breaches. Views, the API and the beat task call them and never repeat a check.

Each step locks the action's row (`select_for_update`) before reading its status, so two people pressing "Issue" or
"Sign" at the same moment make one transition and the second gets the refusal ("already signed by ...").
"""

import functools
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import agency_addresses, coordinator_addresses, notify, site_url
from accounts.permissions import require_coordinator
from compliance.models import Breach, CorrectiveAction, CorrectiveActionItem
from futuresocial.history import changed_by
from futuresocial.scoping import visible_to

Status = CorrectiveAction.Status

# A corrective action cites cases still being worked on; a resolved or dismissed case needs none.
CITABLE_BREACH_STATUSES = (
    Breach.Status.OPEN,
    Breach.Status.UNDER_REVIEW,
    Breach.Status.CORRECTIVE_ACTION,
    Breach.Status.ESCALATED,
)
# Issuing moves these to `corrective_action`; an escalated case stays escalated (its suspension is the stronger step).
BREACH_STATUSES_MOVED_ON_ISSUE = (Breach.Status.OPEN, Breach.Status.UNDER_REVIEW)
# Agreements the agency is bound by, whose dates can lapse.
LIVE_STATUSES = (Status.ISSUED, Status.SIGNED)


@dataclass(frozen=True)
class ItemDraft:
    """A remedial action as typed: what the agency will do, and by when."""

    description: str
    due_on: date


# --- Reading


def cited_breaches(*, action, user):
    """The breach cases an agreement cites that `user` may see, with their evidence and the period of the offending
    work (first and last day of its lines; none for a rule judged on the placement itself)."""
    return (
        visible_to(action.breaches.all(), user)
        .select_related("placement__worker", "placement__role", "authority", "mou_version")
        .annotate(first_worked_on=Min("lines__line__date"), last_worked_on=Max("lines__line__date"))
        .order_by("pk")
    )


# --- Who may do what


def _history_names_by(service):
    """Run a write inside a history context naming its `by`, so the pghistory events record who made the change even
    outside a request (the shell, a command); inside one, HistoryMiddleware names the same user."""

    @functools.wraps(service)
    def wrapped(*args, by, **kwargs):
        with changed_by(by):
            return service(*args, by=by, **kwargs)

    return wrapped


def _locked(action: CorrectiveAction) -> CorrectiveAction:
    """The action's row, locked until the transaction ends, with its current status (not the caller's copy)."""
    return CorrectiveAction.objects.select_for_update().select_related("agency").get(pk=action.pk)


# What may happen next to an agreement, by its status. The services refuse any other step; pages and the API ask
# `allowed_steps` rather than restating it.
NEXT_STEPS = {
    Status.DRAFT: ("edit", "issue"),
    Status.ISSUED: ("sign",),
    Status.SIGNED: ("mark_done", "complete"),
}


def allowed_steps(action: CorrectiveAction) -> tuple[str, ...]:
    """The steps the agreement's status allows now (`complete` also needs every remedial action done)."""
    return NEXT_STEPS.get(action.status, ())


def _refuse_unless(action: CorrectiveAction, step: str, *, doing: str) -> None:
    if step in allowed_steps(action):
        return
    allowed = [status for status, steps in NEXT_STEPS.items() if step in steps]
    wanted = " or ".join(Status(s).label.lower() for s in allowed)
    article = "an" if wanted[0] in "aeiou" else "a"
    raise ValidationError(
        f"Corrective action {action.pk} is {action.get_status_display().lower()}{_since(action)}; "
        f"only {article} {wanted} corrective action can {doing}.",
        code="wrong_status",
    )


def _since(action: CorrectiveAction) -> str:
    if action.status in (Status.SIGNED, Status.COMPLETED) and action.signed_at:
        signed = f" (signed by {action.signed_name} on {timezone.localtime(action.signed_at):%d %B %Y at %H:%M})"
        return signed
    if action.status == Status.LAPSED and action.lapsed_at:
        return f" (since {timezone.localtime(action.lapsed_at):%d %B %Y})"
    return ""


# --- Drafting


def _checked_breaches(*, agency, breaches) -> list[Breach]:
    breaches = sorted({b.pk: b for b in breaches}.values(), key=lambda b: b.pk)
    if not breaches:
        raise ValidationError({"breaches": "Cite at least one breach case of this agency."})
    others = [b for b in breaches if b.agency_id != agency.pk]
    if others:
        ids = ", ".join(str(b.pk) for b in others)
        raise ValidationError(
            {
                "breaches": (
                    f"Breach case{'s' if len(others) > 1 else ''} {ids} {'are' if len(others) > 1 else 'is'} not "
                    f"{agency.name}'s: a corrective action cites the breaches of one agency only."
                )
            }
        )
    closed = [b for b in breaches if b.status not in CITABLE_BREACH_STATUSES]
    if closed:
        listed = ", ".join(f"{b.pk} ({b.get_status_display().lower()})" for b in closed)
        raise ValidationError(
            {"breaches": f"Breach cases already closed cannot be cited: {listed}. Reopen them first if needed."}
        )
    return breaches


def _checked_items(items) -> list[ItemDraft]:
    today = timezone.localdate()
    checked, errors = [], []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, ItemDraft):
            item = ItemDraft(description=item.get("description") or "", due_on=item.get("due_on"))
        description = (item.description or "").strip()
        if not description:
            errors.append(f"Remedial action {n}: say what the agency will do.")
        if item.due_on is None:
            errors.append(f"Remedial action {n}: give the date it is due.")
        elif item.due_on < today:
            errors.append(f"Remedial action {n}: the due date {item.due_on:%d/%m/%Y} is in the past.")
        checked.append(ItemDraft(description=description, due_on=item.due_on))
    if not checked:
        errors.append("List at least one remedial action, with the date it is due.")
    if errors:
        raise ValidationError({"items": errors})
    return checked


def _write_items(action: CorrectiveAction, items: list[ItemDraft]) -> None:
    CorrectiveActionItem.objects.bulk_create(
        [CorrectiveActionItem(corrective_action=action, description=i.description, due_on=i.due_on) for i in items]
    )


@transaction.atomic
@_history_names_by
def corrective_action_draft(*, agency, breaches, items, summary: str = "", by) -> CorrectiveAction:
    """Draft an agreement with `agency` citing `breaches` (all of that agency) with its remedial `items`
    (`ItemDraft`s or dicts with `description` and `due_on`, not in the past). Nothing reaches the agency yet."""
    require_coordinator(by, "draft a corrective action")
    breaches = _checked_breaches(agency=agency, breaches=breaches)
    items = _checked_items(items)
    action = CorrectiveAction.objects.create(agency=agency, summary=(summary or "").strip(), created_by=by)
    action.breaches.set(breaches)
    _write_items(action, items)
    return action


@transaction.atomic
@_history_names_by
def corrective_action_update(*, action, by, breaches=None, items=None, summary=None) -> CorrectiveAction:
    """Change a draft: its summary, its cited breaches, and its remedial items (replaced as a whole). Once issued,
    the agreement is what the agency was sent and stays as it is."""
    require_coordinator(by, "change a corrective action")
    action = _locked(action)
    _refuse_unless(action, "edit", doing="be changed")
    if breaches is not None:
        action.breaches.set(_checked_breaches(agency=action.agency, breaches=breaches))
    if items is not None:
        items = _checked_items(items)
        action.items.all().delete()
        _write_items(action, items)
    if summary is not None:
        action.summary = summary.strip()
        action.save(update_fields=["summary"])
    return action


# --- Issuing, signing, doing, completing


def _set_breach_status(breaches, *, status: str, by, reason: str) -> None:
    """Move cited breach cases on as the agreement moves, through the breach workflow's one home for status moves
    (which checks the move and adds `reason` to each case's timeline)."""
    from compliance.breaches import breach_set_status

    for breach in breaches:
        breach_set_status(breach=breach, status=status, by=by, reason=reason)


@transaction.atomic
@_history_names_by
def corrective_action_issue(*, action, by) -> CorrectiveAction:
    """Send a draft to the agency to sign: its open cases move to `corrective_action`, and its users (and its
    contact address) are emailed a link to the agreement in the portal."""
    require_coordinator(by, "issue a corrective action")
    action = _locked(action)
    _refuse_unless(action, "issue", doing="be issued")
    if not action.items.exists():
        raise ValidationError("List at least one remedial action before issuing the agreement.")
    action.status = Status.ISSUED
    action.issued_at = timezone.now()
    action.issued_by = by
    action.save(update_fields=["status", "issued_at", "issued_by"])
    moving = (
        action.breaches.select_for_update(of=("self",)).filter(status__in=BREACH_STATUSES_MOVED_ON_ISSUE).order_by("pk")
    )
    _set_breach_status(
        list(moving), status=Breach.Status.CORRECTIVE_ACTION, by=by, reason=f"Cited by corrective action {action.pk}"
    )
    notify(
        to=agency_addresses(action.agency),
        template="corrective_action_issued",
        context=_email_context(action),
    )
    return action


@transaction.atomic
@_history_names_by
def corrective_action_sign(*, action, by, signed_name: str, ip: str | None) -> CorrectiveAction:
    """An agency user signs an issued agreement on behalf of their agency, typing their full name. The signature
    records who (the user and the name typed), when, and from which address; the coordinators are told."""
    if by is None or not by.is_agency or by.agency_id != action.agency_id:
        raise PermissionDenied("Only a user of the agency the agreement is with can sign it.")
    signed_name = " ".join((signed_name or "").split())
    if not signed_name:
        raise ValidationError({"signed_name": "Type your full name to sign."})
    if len(signed_name) > CorrectiveAction._meta.get_field("signed_name").max_length:
        raise ValidationError({"signed_name": "That name is too long (120 characters at most)."})
    action = _locked(action)
    _refuse_unless(action, "sign", doing="be signed")
    action.status = Status.SIGNED
    action.signed_at = timezone.now()
    action.signed_by = by
    action.signed_name = signed_name
    action.signed_ip = _ip_or_none(ip)
    action.save(update_fields=["status", "signed_at", "signed_by", "signed_name", "signed_ip"])
    notify(to=coordinator_addresses(), template="corrective_action_signed", context=_email_context(action))
    return action


def _ip_or_none(ip):
    try:
        validate_ipv46_address(ip or "")
    except ValidationError:
        return None
    return ip


@transaction.atomic
@_history_names_by
def corrective_action_item_done(*, item, by, done_on: date | None = None) -> CorrectiveActionItem:
    """The coordinator records that the agency has done one remedial action (today unless `done_on` says)."""
    require_coordinator(by, "record a remedial action as done")
    action = _locked(item.corrective_action)
    _refuse_unless(action, "mark_done", doing="have its remedial actions marked done")
    item = CorrectiveActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done_on is not None:
        raise ValidationError(f"“{item.description}” was already recorded as done on {item.done_on:%d %B %Y}.")
    today = timezone.localdate()
    done_on = done_on or today
    if done_on > today:
        raise ValidationError({"done_on": "A remedial action cannot be done on a date still to come."})
    item.done_on = done_on
    item.done_by = by
    item.save(update_fields=["done_on", "done_by"])
    return item


@transaction.atomic
@_history_names_by
def corrective_action_complete(*, action, by) -> CorrectiveAction:
    """Close a signed agreement whose remedial actions are all done: the cases it cited (still at `corrective_action`
    and cited by no other live agreement) are resolved."""
    require_coordinator(by, "complete a corrective action")
    action = _locked(action)
    _refuse_unless(action, "complete", doing="be completed")
    undone = list(action.items.filter(done_on__isnull=True).order_by("due_on", "id"))
    if undone:
        listed = "; ".join(f"“{i.description}” (due {i.due_on:%d/%m/%Y})" for i in undone)
        raise ValidationError(
            f"{len(undone)} remedial action{'s are' if len(undone) > 1 else ' is'} not done yet: {listed}.",
            code="items_not_done",
        )
    action.status = Status.COMPLETED
    action.completed_at = timezone.now()
    action.completed_by = by
    action.save(update_fields=["status", "completed_at", "completed_by"])
    resolving = (
        action.breaches.select_for_update(of=("self",))
        .filter(status=Breach.Status.CORRECTIVE_ACTION)
        .exclude(corrective_actions__status__in=LIVE_STATUSES)
        .order_by("pk")
    )
    _set_breach_status(
        list(resolving), status=Breach.Status.RESOLVED, by=by, reason=f"Corrective action {action.pk} completed"
    )
    return action


def corrective_actions_lapse(*, today: date) -> list[CorrectiveAction]:
    """Lapse every issued or signed agreement with a remedial action due before `today` and not done; the
    coordinators and the agency are told. Safe to run any number of times a day: an action lapses once."""
    due = (
        CorrectiveAction.objects.filter(status__in=LIVE_STATUSES, items__due_on__lt=today, items__done_on__isnull=True)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [action for pk in list(due) if (action := _lapse_one(pk=pk, today=today)) is not None]


@transaction.atomic
def _lapse_one(*, pk: int, today: date) -> CorrectiveAction | None:
    # Claim the action with a conditional update: if a coordinator completed it (or another run lapsed it) since
    # it was listed, nothing changes and nobody is emailed twice.
    claimed = CorrectiveAction.objects.filter(pk=pk, status__in=LIVE_STATUSES).update(
        status=Status.LAPSED, lapsed_at=timezone.now()
    )
    if not claimed:
        return None
    action = CorrectiveAction.objects.select_related("agency").get(pk=pk)
    overdue = list(action.items.filter(done_on__isnull=True, due_on__lt=today).order_by("due_on", "id"))
    context = _email_context(action) | {"overdue": overdue}
    notify(to=coordinator_addresses(), template="corrective_action_lapsed_coordinator", context=context)
    notify(to=agency_addresses(action.agency), template="corrective_action_lapsed", context=context)
    return action


# --- Who is told


def _email_context(action) -> dict:
    return {
        "action": action,
        "agency": action.agency,
        "items": list(action.items.order_by("due_on", "id")),
        "sign_url": site_url(reverse("compliance:corrective-action-sign", args=[action.pk])),
        "action_url": site_url(reverse("compliance:corrective-action", args=[action.pk])),
        "agreement_url": site_url(reverse("compliance:corrective-action-agreement", args=[action.pk])),
    }
