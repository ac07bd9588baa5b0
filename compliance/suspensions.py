"""Suspending an agency (SPEC §3 Suspension): it cites the agency's breach cases and escalates them, so it is
compliance's. Lifting, removing and the standing that follows the suspensions are the agency's (agencies/services.py),
whose helpers this uses: the same row lock, the same single rule for the standing.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.notifications import agency_addresses, council_addresses, notify
from accounts.permissions import require_coordinator
from agencies.models import Agency, Suspension
from agencies.services import (
    agency_locked,
    refuse_if_removed,
    standing_settle,
    suspension_email_context,
    suspension_period,
    suspensions_overlapping,
)
from compliance.breaches import breach_set_status
from compliance.models import Breach
from futuresocial.history import changed_by
from mou.signals import JudgedWork

Kind = Suspension.Kind

# A breach case dismissed as no breach cannot be the ground of a suspension.
UNCITABLE_BREACH_STATUSES = (Breach.Status.DISMISSED,)
# Citing a case in a suspension escalates it, unless it is already escalated or closed (resolved stays resolved).
BREACH_STATUSES_ESCALATED_ON_SUSPENSION = (
    Breach.Status.OPEN,
    Breach.Status.UNDER_REVIEW,
    Breach.Status.CORRECTIVE_ACTION,
)


def _checked_breaches(*, agency: Agency, breaches) -> list[Breach]:
    breaches = list(breaches)
    others = [b for b in breaches if b.agency_id != agency.pk]
    if others:
        ids = ", ".join(str(b.pk) for b in others)
        raise ValidationError({"breaches": f"Breach cases {ids} are not {agency}'s: cite only its own cases."})
    dismissed = [b for b in breaches if b.status in UNCITABLE_BREACH_STATUSES]
    if dismissed:
        ids = ", ".join(str(b.pk) for b in dismissed)
        raise ValidationError({"breaches": f"Breach cases {ids} were dismissed and cannot ground a suspension."})
    return breaches


def _checked_dates(*, kind: str, starts_on: date, ends_on: date | None, today: date) -> None:
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Choose {Kind.TEMPORARY.label.lower()} or {Kind.ONGOING.label.lower()}."})
    if starts_on < today:
        raise ValidationError(
            {"starts_on": f"A suspension starts today ({today:%d %B %Y}) or later: the past standing stays as it was."}
        )
    if kind == Kind.TEMPORARY and ends_on is None:
        raise ValidationError({"ends_on": "A temporary suspension needs the date it ends."})
    if kind == Kind.ONGOING and ends_on is not None:
        raise ValidationError(
            {
                "ends_on": (
                    "An ongoing suspension lasts until it is lifted: leave the end date empty, or choose temporary."
                )
            }
        )
    if ends_on is not None and ends_on <= starts_on:
        raise ValidationError({"ends_on": f"The end date must be after the start ({starts_on:%d %B %Y})."})


def _escalate(breaches: list[Breach], *, by, suspension: Suspension) -> None:
    """Cited cases still being worked on move to `escalated` (SPEC §3 Breach) through the breach workflow, which
    records the move and its reason in each case's timeline."""
    kind = suspension.get_kind_display().lower()
    reason = f"Cited in the {kind} suspension of {suspension.agency} from {suspension.starts_on:%d %B %Y}."
    for breach in breaches:
        if breach.status in BREACH_STATUSES_ESCALATED_ON_SUSPENSION:
            breach_set_status(breach=breach, status=Breach.Status.ESCALATED, by=by, reason=reason)


@transaction.atomic
def agency_suspend_check(
    *, agency: Agency, kind: str, starts_on: date, ends_on: date | None = None, reason: str, breaches=(), by
) -> list:
    """What `agency_suspend` refuses, said before anything is done (the page's confirmation step shows only a
    suspension that would be imposed): raises its ValidationError; returns the cited cases. Writes nothing."""
    require_coordinator(by, "suspend an agency")
    refuse_if_removed(agency)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the agency is suspended: the agency and every council read it."})
    _checked_dates(kind=kind, starts_on=starts_on, ends_on=ends_on, today=timezone.localdate())
    clash = suspensions_overlapping(agency=agency, starts_on=starts_on, ends_on=ends_on).first()
    if clash is not None:
        raise ValidationError(
            f"{agency} already has a suspension {suspension_period(clash)}; "
            "lift it first or choose dates that do not overlap it.",
            code="overlap",
        )
    return _checked_breaches(agency=agency, breaches=breaches)


def agency_suspend(
    *, agency: Agency, kind: str, starts_on: date, ends_on: date | None = None, reason: str, breaches=(), by
) -> Suspension:
    """Suspend an agency, temporarily (to `ends_on`) or until lifted, from `starts_on` (today or later).

    In effect today: the standing becomes `suspended` at once; later: on its day (`agency_standing_sync`). The cited
    breach cases (the agency's own) are escalated. Every council user and the agency are told by email.
    """
    today = timezone.localdate()
    agency = agency_locked(agency)  # under the lock, the checks hold until the suspension is stored
    reason = (reason or "").strip()
    breaches = agency_suspend_check(
        agency=agency, kind=kind, starts_on=starts_on, ends_on=ends_on, reason=reason, breaches=breaches, by=by
    )
    with changed_by(by, action="suspension imposed", reason=reason):
        suspension = Suspension(
            agency=agency, kind=kind, starts_on=starts_on, ends_on=ends_on, reason=reason, imposed_by=by
        )
        suspension.full_clean()
        suspension.save()
        suspension.breaches.set(breaches)
        _escalate(breaches, by=by, suspension=suspension)
        standing_settle(agency=agency, today=today)
        # Placements already registered to start during it now start while the agency is suspended (rule 3).
        JudgedWork(
            reason=f"Suspension {suspension.pk} of {agency} from {starts_on:%-d %B %Y}",
            placements_from=starts_on,
            placements_until=ends_on,
            agency_id=agency.pk,
        ).announce(by=by)
    notify(
        to=[*council_addresses(), *agency_addresses(agency)],
        template="suspension_imposed",
        context=suspension_email_context(suspension, today=today, breaches=breaches),
    )
    return suspension
