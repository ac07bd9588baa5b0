"""Suspensions and an agency's standing (SPEC §3 Suspension): the one home of their rules.

An agency's `standing` follows its suspensions: `suspended` while one is in effect today (`Suspension.is_active_on`,
`SuspensionQuerySet.active_on`), `approved` otherwise, and `removed` for good once the coordinator removes it.
`standing_settle` is the single place that derives the standing from the suspensions; every service here calls it
after a change, and `agency_standing_sync` (run every night by beat) calls it for the agencies whose dates have
come: a temporary suspension ends by itself on its `ends_on`, and a suspension imposed ahead of time takes effect
on its `starts_on`.

Every write locks the agency's row (`select_for_update`) first: `placement_register` takes the same lock, so no
placement slips in while a suspension is being imposed, and two people acting at once on one agency queue behind
each other and see each other's result. Every write runs under a `pghistory.context` naming who and why, so the
agency's standing history (agencies.selectors.standing_history) can say who did what and for what reason.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Least
from django.urls import reverse
from django.utils import timezone

import pghistory

from accounts.notifications import agency_addresses, council_addresses, notify, site_url
from accounts.permissions import require_coordinator
from agencies.models import Agency, Suspension
from futuresocial.history import changed_by
from mou.signals import JudgedWork

Standing = Agency.Standing
Kind = Suspension.Kind

REMOVED_STAYS_REMOVED = "{agency} has been removed from the MoU's list of agencies; a removed agency stays removed."


def agency_locked(agency: Agency) -> Agency:
    """The agency's row, locked until the transaction ends, with its current standing (not the caller's copy)."""
    return Agency.objects.select_for_update().get(pk=agency.pk)


def refuse_if_removed(agency: Agency) -> None:
    if agency.standing == Standing.REMOVED:
        raise ValidationError(REMOVED_STAYS_REMOVED.format(agency=agency), code="removed")


def standing_settle(*, agency: Agency, today: date) -> str | None:
    """Set a (locked) agency's standing from its suspensions on `today`; the new standing, or None if unchanged.

    The one rule: suspended while a suspension is in effect, approved otherwise; a removed agency stays removed.
    """
    if agency.standing == Standing.REMOVED:
        return None
    in_effect = agency.suspensions.active_on(today).exists()
    standing = Standing.SUSPENDED if in_effect else Standing.APPROVED
    if agency.standing == standing:
        return None
    agency.standing = standing
    agency.save(update_fields=["standing"])
    return standing


# --- Suspending


def suspensions_overlapping(*, agency: Agency, starts_on: date, ends_on: date | None):
    """The agency's suspensions whose time in effect meets [starts_on, ends_on) (ends_on None: until lifted)."""
    overlapping = agency.suspensions.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on), Q(lifted_on__isnull=True) | Q(lifted_on__gt=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lt=ends_on)
    return overlapping.order_by("starts_on", "id")


def suspension_period(suspension: Suspension) -> str:
    if suspension.lifted_on is not None:
        return f"from {suspension.starts_on:%d %B %Y}, lifted from {suspension.lifted_on:%d %B %Y}"
    if suspension.ends_on is not None:
        return f"from {suspension.starts_on:%d %B %Y} to {suspension.ends_on:%d %B %Y}"
    return f"from {suspension.starts_on:%d %B %Y} until lifted"


# --- Lifting


def suspension_lift_refusal(suspension: Suspension, *, today: date) -> ValidationError | None:
    """Why `suspension` cannot be lifted now, or None if it can: what pages and the API ask before offering to lift
    it, and what `suspension_lift` refuses with."""
    if suspension.agency.standing == Standing.REMOVED:
        return ValidationError(REMOVED_STAYS_REMOVED.format(agency=suspension.agency), code="removed")
    if suspension.lifted_on is not None:
        return ValidationError(
            f"This suspension was already lifted from {suspension.lifted_on:%d %B %Y}.", code="already_lifted"
        )
    if suspension.ends_on is not None and suspension.ends_on <= today:
        return ValidationError(f"This suspension ended by itself on {suspension.ends_on:%d %B %Y}.", code="ended")
    return None


@transaction.atomic
def suspension_lift(*, suspension: Suspension, by, reason: str, on: date | None = None) -> Suspension:
    """Lift a suspension before its time, from `on` (today by default; a later date schedules the lifting).

    A suspension that has not started yet is lifted from its start, so it never takes effect. The standing returns
    to `approved` once no other suspension is in effect; a removed agency stays removed.
    """
    require_coordinator(by, "lift a suspension")
    today = timezone.localdate()
    agency = agency_locked(suspension.agency)
    refuse_if_removed(agency)
    suspension = Suspension.objects.select_for_update().get(pk=suspension.pk)
    suspension.agency = agency
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"lift_reason": "Say why the suspension is lifted early: every council reads it."})
    if (refusal := suspension_lift_refusal(suspension, today=today)) is not None:
        raise refusal
    on = on or today
    if on < today:
        raise ValidationError(
            {"lifted_on": f"A suspension is lifted from today ({today:%d %B %Y}) or later: the past standing stays."}
        )
    if suspension.ends_on is not None and on >= suspension.ends_on:
        raise ValidationError(
            {"lifted_on": f"It ends by itself on {suspension.ends_on:%d %B %Y}: lift it from an earlier date."}
        )
    not_started = suspension.starts_on > today
    suspension.lifted_on = max(on, suspension.starts_on)
    suspension.lifted_by = by
    suspension.lift_reason = reason
    with changed_by(by, action="suspension lifted", reason=reason):
        suspension.full_clean()
        suspension.save(update_fields=["lifted_on", "lifted_by", "lift_reason"])
        standing_settle(agency=agency, today=today)
        # Placements already registered to start after the lifting no longer start during the suspension.
        JudgedWork(
            reason=f"Suspension {suspension.pk} of {agency} lifted from {suspension.lifted_on:%-d %B %Y}",
            placements_from=suspension.lifted_on,
            placements_until=suspension.ends_on,
            agency_id=agency.pk,
        ).announce(by=by)
    notify(
        to=[*council_addresses(), *agency_addresses(agency)],
        template="suspension_lifted",
        context={**suspension_email_context(suspension, today=today), "never_took_effect": not_started},
    )
    return suspension


# --- Removing


@transaction.atomic
def agency_remove(*, agency: Agency, by, reason: str) -> Agency:
    """Remove an agency from the MoU's list for good: it never registers a placement again. Its suspensions stay
    on record as they are; every council user and the agency are told."""
    require_coordinator(by, "remove an agency")
    agency = agency_locked(agency)
    if agency.standing == Standing.REMOVED:
        raise ValidationError(f"{agency} has already been removed from the MoU's list of agencies.", code="removed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the agency is removed: the agency and every council read it."})
    with changed_by(by, action="agency removed", reason=reason):
        agency.standing = Standing.REMOVED
        agency.save(update_fields=["standing"])
    notify(
        to=[*council_addresses(), *agency_addresses(agency)],
        template="suspension_agency_removed",
        context={
            "agency": agency,
            "reason": reason,
            "agency_url": site_url(reverse("agencies:detail", args=[agency.pk])),
        },
    )
    return agency


# --- The daily standing check


@dataclass
class StandingSync:
    """What one run of `agency_standing_sync` changed: the agencies now suspended and now approved again."""

    suspended: list[Agency] = field(default_factory=list)
    approved: list[Agency] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.suspended) + len(self.approved)


@transaction.atomic
def agency_standing_sync(*, today: date) -> StandingSync:
    """Bring every agency's standing in line with its suspensions on `today`.

    Suspensions whose start has come take effect; temporary suspensions whose `ends_on` has come end by themselves
    (nobody lifts them: `lifted_on` stays empty) and the standing returns to `approved` unless another is in effect;
    a lifting scheduled for today takes effect likewise. Removed agencies stay removed. Running it twice changes
    nothing the second time: only agencies whose standing disagrees with their suspensions are touched, each
    re-checked under its lock. The agency and every council user are told when a suspension ends.
    """
    in_effect = Exists(Suspension.objects.active_on(today).filter(agency=OuterRef("pk")))
    disagreeing = (
        Agency.objects.exclude(standing=Standing.REMOVED)
        .filter(Q(Q(standing=Standing.SUSPENDED) & ~in_effect) | Q(Q(standing=Standing.APPROVED) & in_effect))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    result = StandingSync()
    for pk in disagreeing:
        agency = Agency.objects.select_for_update().get(pk=pk)
        with pghistory.context(action="daily standing check", on=today.isoformat()):
            standing = standing_settle(agency=agency, today=today)
        if standing == Standing.SUSPENDED:
            result.suspended.append(agency)
        elif standing == Standing.APPROVED:
            result.approved.append(agency)
            ended = _last_ended(agency=agency, today=today)
            if ended is not None:
                notify(
                    to=[*council_addresses(), *agency_addresses(agency)],
                    template="suspension_ended",
                    context=suspension_email_context(ended, today=today),
                )
    return result


def _last_ended(*, agency: Agency, today: date) -> Suspension | None:
    """The suspension of `agency` that most recently stopped being in effect (by its end date or a lifting)."""
    return (
        agency.suspensions.annotate(stopped_on=Least("ends_on", "lifted_on"))  # PostgreSQL's LEAST skips NULLs
        .filter(stopped_on__lte=today)
        .order_by("-stopped_on", "-id")
        .first()
    )


# --- Who is told


def suspension_email_context(suspension: Suspension, *, today: date, breaches=None) -> dict:
    return {
        "suspension": suspension,
        "agency": suspension.agency,
        "today": today,
        "in_effect": suspension.is_active_on(today),
        "breaches_count": len(breaches) if breaches is not None else suspension.breaches.count(),
        "agency_url": site_url(reverse("agencies:detail", args=[suspension.agency_id])),
    }


# --- An agency's own details

AGENCY_OWN_DETAILS = ("contact_name", "contact_email", "contact_phone", "address")


@transaction.atomic
def agency_details_update(*, agency: Agency, by, **details) -> Agency:
    """Change the details an agency keeps itself (`AGENCY_OWN_DETAILS`): its users, or the coordinator. Its name,
    company number and standing stay the coordinator's (the API's `PATCH agencies/{id}/`, suspensions)."""
    own_user = by is not None and by.is_agency and by.agency_id == agency.pk
    if not (own_user or getattr(by, "is_coordinator", False)):
        raise PermissionDenied("Only the agency's own users or the coordinator can change its details.")
    unknown = set(details).difference(AGENCY_OWN_DETAILS)
    if unknown:
        raise ValidationError(f"Not an agency's own detail: {', '.join(sorted(unknown))}.")
    agency = agency_locked(agency)
    for name, value in details.items():
        setattr(agency, name, (value or "").strip())
    agency.full_clean()
    with changed_by(by, action="details"):
        agency.save(update_fields=list(details))
    return agency
