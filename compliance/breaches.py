"""Breach cases (SPEC §3 Breach): the services that move them through their life and the selectors that read them.

Status: open → under_review → corrective_action → resolved; dismissed (with a reason); escalated (to suspension).
`TRANSITIONS` is the one place that says which moves are allowed; every page, bulk action and API call goes through
`breach_set_status` (or its bulk form), which refuses anything else with a message naming the move.

Every write runs inside `pghistory.context(user=...)`, so the history of the case records who made it even when a
service is called outside a request (a command, a task, another service). Inside a request HistoryMiddleware has
already opened the context; entering it again only adds the same user to it.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notify, site_url
from accounts.permissions import require_coordinator
from compliance.models import Breach, BreachNote
from futuresocial.history import changed_by, history_entries, history_events
from futuresocial.once import create_once
from mou.selectors import version_in_force

Status = Breach.Status

# A case still needs someone's attention until it is resolved or dismissed (the home page counts the same way).

# Which status a case may move to from each status. Forward: open → under review → corrective action → resolved;
# drafting and issuing a corrective action is itself the review, so an open case may go straight to it. A review may
# resolve a case without an agreement (e.g. the agency repaid the excess) or dismiss it (e.g. a duplicate report).
# Escalation to a suspension is open to any case still being worked on. Back-moves: a case under review or a failed
# corrective action can be looked at again (under review), a case reviewed by mistake can be reopened, an
# escalation can be withdrawn (under review), followed by a corrective action, or resolved once the suspension has
# served its purpose, and a resolved or dismissed case can be reopened by the coordinator.
# Once a corrective action is agreed the breach is established: it is no longer dismissed, only resolved.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.OPEN: (Status.UNDER_REVIEW, Status.CORRECTIVE_ACTION, Status.DISMISSED, Status.ESCALATED),
    Status.UNDER_REVIEW: (
        Status.CORRECTIVE_ACTION,
        Status.RESOLVED,
        Status.DISMISSED,
        Status.ESCALATED,
        Status.OPEN,
    ),
    Status.CORRECTIVE_ACTION: (Status.RESOLVED, Status.ESCALATED, Status.UNDER_REVIEW),
    Status.ESCALATED: (Status.CORRECTIVE_ACTION, Status.RESOLVED, Status.UNDER_REVIEW),
    Status.RESOLVED: (Status.OPEN,),
    Status.DISMISSED: (Status.OPEN,),
}


def _label(status: str) -> str:
    return Status(status).label.lower()


def _or_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _locked(breaches: Iterable[Breach]) -> list[Breach]:
    """The cases' rows, locked until the transaction ends, with their current status (not the caller's copies);
    locked in id order so two bulk actions over the same cases never deadlock."""
    ids = sorted({b.pk for b in breaches})
    return list(Breach.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _copy_back(source: Breach, target: Breach, fields: Iterable[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def _site_url(breach: Breach) -> str:
    return site_url(reverse("compliance:breach-detail", args=[breach.pk]))


# --- Status


def allowed_moves(breach: Breach) -> tuple[str, ...]:
    """The statuses `breach` may move to now (what the breach page offers)."""
    return TRANSITIONS.get(breach.status, ())


def transition_refusal(breach: Breach, status: str, *, reason: str = "") -> tuple[str, str] | None:
    """Why `breach` may not move to `status` now, as (field, message); None when it may."""
    if status not in Status.values:
        return "status", f'"{status}" is not a breach status: use one of {_or_list(Status.values)}.'
    if breach.status == status:
        return "status", f"Breach {breach.pk} is already {_label(status)}."
    allowed = TRANSITIONS.get(breach.status, ())
    if status not in allowed:
        return (
            "status",
            f"Breach {breach.pk} cannot move from {_label(breach.status)} to {_label(status)}: "
            f"from {_label(breach.status)} it can move to {_or_list([_label(s) for s in allowed])}.",
        )
    if status == Status.DISMISSED and not (reason or "").strip():
        return "reason", f"Dismissing breach {breach.pk} needs a reason (e.g. a duplicate, or the work was covered)."
    return None


def _apply_status(breach: Breach, status: str, *, by, reason: str, note: str) -> None:
    """Move one locked case (already checked) and record the optional note in its timeline."""
    breach.status = status
    if status in Breach.CLOSED_STATUSES:
        breach.closed_at = timezone.now()
    else:
        breach.closed_at = None
    if status == Status.DISMISSED:
        breach.dismissed_reason = reason.strip()
    else:
        # A reopened case is judged afresh: a new dismissal needs its own reason (the old one stays in history).
        breach.dismissed_reason = ""
    breach.save(update_fields=["status", "closed_at", "dismissed_reason", "updated_at"])
    # A reason for any other move (e.g. "Cited by corrective action 5") and the optional note join the timeline.
    text = "\n\n".join(t.strip() for t in ((reason if status != Status.DISMISSED else ""), note) if t and t.strip())
    if text:
        BreachNote.objects.create(breach=breach, author=by, text=text)


STATUS_FIELDS = ("status", "closed_at", "dismissed_reason", "updated_at")


@transaction.atomic
def breach_set_status(*, breach: Breach, status: str, by, reason: str = "", note: str = "") -> Breach:
    """Move a case to `status` if `TRANSITIONS` allows it (dismissing needs a `reason`), stamping `closed_at` when
    it is resolved or dismissed and clearing it when it is reopened. `note` is added to the case's timeline."""
    require_coordinator(by, "change a breach's status")
    with changed_by(by):
        (locked,) = _locked([breach])
        refusal = transition_refusal(locked, status, reason=reason)
        if refusal is not None:
            raise ValidationError({refusal[0]: refusal[1]}, code="invalid_transition")
        _apply_status(locked, status, by=by, reason=reason, note=note)
    _copy_back(locked, breach, STATUS_FIELDS)
    return breach


@transaction.atomic
def breaches_bulk_set_status(*, breaches: Iterable[Breach], status: str, by, reason: str = "") -> dict:
    """Move every case in `breaches` to `status`, or none of them: one case that may not move refuses the lot, and
    the message lists each such case and why. Cases already at `status` are left as they are.

    Returns {"moved": [cases moved], "unchanged": [cases already there]}.
    """
    require_coordinator(by, "change breaches' status")
    with changed_by(by):
        locked = _locked(breaches)
        if not locked:
            raise ValidationError("Choose at least one breach case.", code="empty")
        moving = [b for b in locked if b.status != status]
        unchanged = [b for b in locked if b.status == status]
        refusals = [refusal[1] for b in moving if (refusal := transition_refusal(b, status, reason=reason))]
        if refusals:
            raise ValidationError(
                [f"Nothing was changed: {len(refusals)} of the {len(locked)} cases cannot move."] + refusals,
                code="invalid_transition",
            )
        for b in moving:
            _apply_status(b, status, by=by, reason=reason, note="")
    return {"moved": moving, "unchanged": unchanged}


# --- Assignee and severity


def assignable_users():
    """Who a case may be assigned to: the region's active coordinators."""
    return User.objects.filter(role=User.Role.COORDINATOR, is_active=True).order_by("username")


def _assignee_refusal(assignee) -> str | None:
    if assignee is None:
        return None
    if not (assignee.is_active and assignee.is_coordinator):
        return f"{assignee.username} is not a workforce coordinator: breach cases are assigned to coordinators only."
    return None


@transaction.atomic
def breach_assign(*, breach: Breach, assignee, by) -> Breach:
    """Give the case to a coordinator (`assignee`), or to nobody (None)."""
    require_coordinator(by, "assign a breach")
    if (refusal := _assignee_refusal(assignee)) is not None:
        raise ValidationError({"assignee": refusal}, code="not_a_coordinator")
    with changed_by(by):
        (locked,) = _locked([breach])
        if locked.assignee_id != (assignee.pk if assignee else None):
            locked.assignee = assignee
            locked.save(update_fields=["assignee", "updated_at"])
    _copy_back(locked, breach, ("assignee", "updated_at"))
    return breach


@transaction.atomic
def breaches_bulk_assign(*, breaches: Iterable[Breach], assignee, by) -> dict:
    """Give every case in `breaches` to `assignee` (None: nobody), or none of them: a resolved or dismissed case is
    reopened before it is given to someone, and the message lists each such case.

    Returns {"moved": [cases reassigned], "unchanged": [cases already theirs]}.
    """
    require_coordinator(by, "assign breaches")
    if (refusal := _assignee_refusal(assignee)) is not None:
        raise ValidationError({"assignee": refusal}, code="not_a_coordinator")
    assignee_id = assignee.pk if assignee else None
    with changed_by(by):
        locked = _locked(breaches)
        if not locked:
            raise ValidationError("Choose at least one breach case.", code="empty")
        moving = [b for b in locked if b.assignee_id != assignee_id]
        unchanged = [b for b in locked if b.assignee_id == assignee_id]
        closed = [b for b in moving if assignee is not None and b.is_closed]
        if closed:
            raise ValidationError(
                [f"Nothing was changed: {len(closed)} of the {len(locked)} cases are closed."]
                + [f"Breach {b.pk} is {_label(b.status)}: reopen it before assigning it." for b in closed],
                code="closed",
            )
        for b in moving:
            b.assignee = assignee
            b.save(update_fields=["assignee", "updated_at"])
    return {"moved": moving, "unchanged": unchanged}


@transaction.atomic
def breach_set_severity(*, breach: Breach, severity: str, by) -> Breach:
    require_coordinator(by, "change a breach's severity")
    if severity not in Breach.Severity.values:
        raise ValidationError(
            {"severity": f'"{severity}" is not a severity: use {_or_list(Breach.Severity.values)}.'}, code="invalid"
        )
    with changed_by(by):
        (locked,) = _locked([breach])
        if locked.severity != severity:
            locked.severity = severity
            locked.save(update_fields=["severity", "updated_at"])
    _copy_back(locked, breach, ("severity", "updated_at"))
    return breach


# --- Manual reports and notes


@transaction.atomic
def breach_report_manual(*, agency, placement=None, description: str, severity: str = "minor", by) -> Breach:
    """A breach reported by a person (SPEC §4 rule 6), e.g. an agency approaching a worker in post.

    The coordinator reports against any agency; a council against any agency, and a placement (if any) at its own
    authority. The case sits at the council's authority (or the placement's), under the MoU version in force today.
    """
    if by is None or not (by.is_coordinator or (by.is_council and by.authority_id)):
        raise PermissionDenied("Only the workforce coordinator or a council can report a breach.")
    errors = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = "Say what happened: who, when, and which part of the MoU it goes against."
    if severity not in Breach.Severity.values:
        errors["severity"] = f'"{severity}" is not a severity: use {_or_list(Breach.Severity.values)}.'
    if agency is None:
        errors["agency"] = "Choose the agency the breach is about."
    if placement is not None:
        if by.is_council and placement.authority_id != by.authority_id:
            errors["placement"] = f"Placement {placement.pk} is not a placement at your authority."
        elif agency is not None and placement.agency_id != agency.pk:
            errors["placement"] = f"Placement {placement.pk} is with {placement.agency}, not {agency}."
    if errors:
        raise ValidationError(errors, code="invalid")
    authority_id = by.authority_id if by.is_council else (placement.authority_id if placement else None)
    # The same report twice (a double click, two requests at once) is one case: one_manual_report_per_intent.
    identity = dict(
        agency=agency, authority_id=authority_id, placement=placement, rule=Breach.Rule.MANUAL, reported_by=by,
        description=description, duplicate_of=None,
    )  # fmt: skip
    with changed_by(by):
        breach = create_once(
            Breach,
            identity=identity,
            create=lambda: Breach.objects.create(
                **identity,
                source=Breach.Source.MANUAL,
                severity=severity,
                mou_version=version_in_force(on=timezone.localdate()),
            ),
            message=lambda existing: f"This is already reported as breach {existing.pk}.",
        )
    if by.is_council:
        # The coordinator works the queue: a council's report is news to them.
        notify(
            to=list(assignable_users().values_list("email", flat=True)),
            template="breach_reported",
            context={"breach": breach, "by": by, "url": _site_url(breach)},
        )
    return breach


def may_add_note(user, breach: Breach) -> bool:
    """The coordinator, the council where the case sits, and the agency it is about may write in its timeline."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_coordinator:
        return True
    if user.is_council:
        return user.authority_id is not None and user.authority_id == breach.authority_id
    if user.is_agency:
        return user.agency_id is not None and user.agency_id == breach.agency_id
    return False


@transaction.atomic
def breach_note_add(*, breach: Breach, text: str, by) -> BreachNote:
    """A note or comment in the case's timeline. A council's or the agency's note is emailed to the coordinator the
    case is assigned to, who would otherwise not know it is there."""
    if not may_add_note(by, breach):
        raise PermissionDenied("Only the coordinator, the council where the case sits and the agency can add notes.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the note before adding it."}, code="required")
    note = BreachNote.objects.create(breach=breach, author=by, text=text)
    assignee = breach.assignee
    if assignee is not None and assignee.pk != by.pk and not by.is_coordinator:
        notify(
            to=[assignee.email],
            template="breach_note_added",
            context={"breach": breach, "note": note, "by": by, "url": _site_url(breach)},
        )
    return note


# --- Selectors


def breach_timeline(*, breach: Breach, user=None, limit: int = 50) -> tuple[list[dict], bool]:
    """The case's story, oldest first: its latest recorded changes (status, assignee, severity, the audit adding
    lines) and every note since the oldest change shown, each with who and when. Also whether older changes were
    left out (the history page has them all)."""
    events = list(history_events(breach)[:limit])
    # Oldest first; a note written with a change (a status move's reason) follows it, being stamped after it.
    entries = [{"kind": "change", "when": e.when, "entry": e} for e in reversed(history_entries(events, user=user))]
    oldest_shown = events[-1].pgh_created_at if len(events) == limit else None
    notes = BreachNote.objects.filter(breach=breach).select_related("author").order_by("created_at", "id")
    if oldest_shown is not None:
        notes = notes.filter(created_at__gte=oldest_shown)
    entries += [{"kind": "note", "when": n.created_at, "note": n} for n in notes]
    entries.sort(key=lambda item: item["when"])
    return entries, oldest_shown is not None
