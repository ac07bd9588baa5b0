"""Writes for placements, leavers and cap exceptions. Timesheet submission lives in placements/timesheets/."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.permissions import require_coordinator
from agencies.models import Agency
from futuresocial.history import changed_by
from futuresocial.once import create_once
from mou.signals import JudgedWork
from placements.models import (
    CapException,
    PermanentLeaver,
    Placement,
    ProjectTeam,
    ProjectTeamMember,
    Reference,
    Worker,
)
from placements.watermark import hold_audit_watermark


def worker_for(*, swe_number: str) -> Worker:
    """The worker with this registration number, registering them if unknown. Nothing an agency says of the worker
    is kept here: its claims stay with its placements."""
    swe_number = (swe_number or "").strip().upper()
    worker, created = Worker.objects.get_or_create(swe_number=swe_number)
    if created:
        worker.full_clean()
    return worker


@transaction.atomic
def worker_qualification_verify(*, worker: Worker, qualified_on: date, by) -> Worker:
    """The coordinator records the worker's qualification date as verified (e.g. on the Social Work England register):
    it wins over every agency's claim, and the audit judges the worker's placements again by it."""
    require_coordinator(by, "verify a worker's qualification date")
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    if qualified_on > timezone.localdate():
        raise ValidationError({"qualified_on": "A qualification date cannot be in the future."})
    with changed_by(by, action="qualification date verified"):
        worker.verified_qualified_on = qualified_on
        worker.qualified_on_verified_by = by
        worker.qualified_on_verified_at = timezone.now()
        worker.save(update_fields=["verified_qualified_on", "qualified_on_verified_by", "qualified_on_verified_at"])
    JudgedWork(
        reason=f"Qualification date of {worker.swe_number} verified as {qualified_on:%-d %B %Y}",
        placements_from=date(1900, 1, 1),
        worker_id=worker.pk,
    ).announce(by=by)
    return worker


@transaction.atomic
def placement_register(
    *,
    agency: Agency,
    authority,
    role,
    worker_swe_number: str,
    engagement_type: str,
    start_date: date,
    pay_rate: Decimal,
    charge_rate: Decimal,
    on_costs: Decimal = Decimal("0"),
    end_date: date | None = None,
    project_team: bool = False,
    worker_qualified_on: date | None = None,
    references: list["ReferenceInput"] | None = None,
    by=None,
) -> Placement:
    """Register a placement, with the practice-based references the agency holds for its worker. Refused while the
    agency is suspended or removed (SPEC §3 Suspension)."""
    # Lock the agency row: a suspension imposed at this moment must not let one more placement through.
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    hold_audit_watermark()  # the audit judges placements by id: this one must not commit behind its watermark
    if not agency.may_register_placements:
        raise ValidationError({"agency": agency_refusal(agency)})
    worker = worker_for(swe_number=worker_swe_number)
    # Under the agency's lock: of two identical requests at once, the second finds the first's row here (the unique
    # constraint is the last line, should another path insert without the lock).
    existing = Placement.objects.filter(
        agency=agency, worker=worker, authority=authority, start_date=start_date, duplicate_of=None
    ).first()
    if existing is not None:
        raise PlacementExists(existing)
    placement = Placement(
        agency=agency,
        authority=authority,
        role=role,
        worker=worker,
        engagement_type=engagement_type,
        start_date=start_date,
        end_date=end_date,
        pay_rate=pay_rate,
        on_costs=on_costs,
        charge_rate=charge_rate,
        project_team=project_team,
        worker_qualified_on=worker_qualified_on,
        created_by=by,
    )
    placement.full_clean()
    placement.save()
    for given in references or []:
        _reference_add(placement, given, by=by)
    return placement


class PlacementExists(ValidationError):
    """The placement asked for is already registered (same agency, worker, authority and start date): `placement`."""

    def __init__(self, placement: Placement):
        self.placement = placement
        super().__init__(
            f"Placement {placement.pk} already registers this worker for this agency at {placement.authority} from "
            f"{placement.start_date:%d %B %Y}: change that one (its end date) rather than registering it again.",
            code="placement_exists",
        )


# What a registration states beyond the placement's identity: a repeat stating the same is the same submission.
TERMS = ("role", "engagement_type", "end_date", "pay_rate", "on_costs", "charge_rate", "project_team")


def placement_repeats(placement: Placement, **registration) -> bool:
    """Whether `registration` (placement_register's arguments) is `placement` sent again: a double click."""
    return all(registration.get(name, getattr(placement, name)) == getattr(placement, name) for name in TERMS)


def agency_refusal(agency: Agency) -> str:
    """Why an agency may not register new placements, in words an agency user can act on."""
    from django.utils import timezone

    # The suspension in effect today (not one booked for later).
    suspension = agency.suspensions.active_on(timezone.localdate()).order_by("-starts_on").first()
    if agency.standing == Agency.Standing.REMOVED:
        return f"{agency} has been removed from the MoU's list of agencies and cannot register new placements."
    reason = f" Reason: {suspension.reason}" if suspension else ""
    until = f" until {suspension.ends_on:%d %B %Y}" if suspension and suspension.ends_on else ""
    return f"{agency} is suspended{until} and cannot register new placements.{reason}"


@transaction.atomic
def placement_end(*, placement: Placement, end_date: date | None, by=None) -> Placement:
    """Set (or move, or clear) the date a placement ends; refused before its start or before work already submitted.

    Only the end date changes after registration: rates and the rest are what the audit judged.
    """
    placement = Placement.objects.select_for_update().get(pk=placement.pk)
    if end_date is not None:
        if end_date < placement.start_date:
            raise ValidationError({"end_date": f"The placement starts on {placement.start_date:%d/%m/%Y}."})
        # Only the current revision of each week counts: superseded lines are history, not work.
        last_worked = (
            placement.timesheet_lines.current()
            .filter(date__gt=end_date)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
        if last_worked is not None:
            raise ValidationError(
                {"end_date": f"Timesheets record work on {last_worked:%d/%m/%Y}, after this end date."}
            )
    placement.end_date = end_date
    placement.full_clean()
    placement.save(update_fields=["end_date"])
    return placement


@transaction.atomic
def permanent_leaver_record(
    *, authority, worker_swe_number: str, left_on: date, reason: str, by=None
) -> PermanentLeaver:
    """Record that a worker left an employed post at a council (feeds the cooling-off rule)."""
    hold_audit_watermark()  # the audit judges leavers by id: this one must not commit behind its watermark
    worker = worker_for(swe_number=worker_swe_number)
    leaver = PermanentLeaver(authority=authority, worker=worker, left_on=left_on, reason=reason, recorded_by=by)
    leaver.full_clean()  # one record per worker, authority and day: a repeat is a clear error, not a 500
    leaver.save()
    # The worker's placements already judged are judged again under the cooling-off rule.
    JudgedWork(
        # Not which council nor why: the reason may end up on a case another council or an agency reads.
        reason=f"Permanent leaver {leaver.pk} recorded for {worker.swe_number}",
        placements_from=left_on,
        worker_id=worker.pk,
    ).announce(by=by)
    return leaver


@transaction.atomic
def cap_exception_record(
    *,
    placement: Placement,
    signed_by_dcs: str,
    signed_by_chief_executive: str,
    reason: str,
    valid_until: date,
    valid_from: date | None = None,
    by=None,
) -> CapException:
    """Record a council's signed approval to pay above the cap on a placement.

    Without `valid_from` it covers work from today, or from the placement's start if that is later: a sign-off
    looks forward unless the council says from when it applies.
    """
    if valid_from is None:
        valid_from = max(timezone.localdate(), placement.start_date)
    if valid_until < valid_from:
        raise ValidationError({"valid_until": f"The exception would end before it starts ({valid_from:%d/%m/%Y})."})
    exception = CapException(
        placement=placement,
        signed_by_dcs=signed_by_dcs,
        signed_by_chief_executive=signed_by_chief_executive,
        reason=reason,
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_by=by,
    )
    exception.full_clean(validate_constraints=False)  # the unique one is create_once's to answer

    def save():
        exception.save()
        return exception

    # The same sign-off twice (a double click, two requests at once) is one exception: one_cap_exception_per_intent.
    create_once(
        CapException,
        identity=dict(placement=placement, valid_from=valid_from, valid_until=valid_until, duplicate_of=None),
        create=save,
        message=lambda existing: (
            f"Cap exception {existing.pk} already covers this placement from "
            f"{existing.valid_from:%d/%m/%Y} to {existing.valid_until:%d/%m/%Y}."
        ),
    )
    if valid_from <= timezone.localdate():
        # Days already worked that it covers: cases the audit opened for them lose those lines.
        JudgedWork(
            reason=f"Cap exception {exception.pk}, recorded {exception.recorded_at:%-d %B %Y}, covers these days",
            lines_from=valid_from,
            lines_until=valid_until,
            placement_id=placement.pk,
        ).announce(by=by)
    return exception


# --- What an agency records of its worker's references, and a council's project teams (the national rules)


@dataclass(frozen=True)
class ReferenceInput:
    """A practice-based reference as an agency gives it: who gave it, in what role, where, and when."""

    referee: str
    referee_role: str
    organisation: str
    given_on: date


def _reference_add(placement: Placement, given: ReferenceInput, *, by) -> Reference:
    if given.given_on > timezone.localdate():
        raise ValidationError({"given_on": "The date of a reference cannot be in the future."})
    reference = Reference(
        placement=placement,
        referee=given.referee.strip(),
        referee_role=given.referee_role.strip(),
        organisation=given.organisation.strip(),
        given_on=given.given_on,
        recorded_by=by,
    )
    if Reference.objects.filter(
        placement=placement,
        referee__iexact=reference.referee,
        organisation__iexact=reference.organisation,
        given_on=reference.given_on,
    ).exists():
        raise ValidationError(
            {
                "referee": f"A reference from {reference.referee} ({reference.organisation}) dated "
                f"{reference.given_on:%-d %B %Y} is already recorded for this placement."
            }
        )
    reference.full_clean()
    reference.save()
    return reference


@transaction.atomic
def reference_record(*, placement: Placement, reference: ReferenceInput, by=None) -> Reference:
    """Record a practice-based reference for a placement's worker (the agency's claim, kept with its placement). One
    dated by the start may settle a `references_missing` case: the audit judges the placement again."""
    placement = Placement.objects.select_for_update().get(pk=placement.pk)
    with changed_by(by, action="reference recorded"):
        recorded = _reference_add(placement, reference, by=by)
    if recorded.given_on <= placement.start_date:
        JudgedWork(
            reason=f"Reference {recorded.pk} recorded for placement {placement.pk}",
            placements_from=placement.start_date,
            placements_until=placement.start_date,
            placement_id=placement.pk,
        ).announce(by=by)
    return recorded


@dataclass(frozen=True)
class TeamMemberInput:
    """A worker named on a project team: registration number, role and the cost agreed for them."""

    worker_swe_number: str
    role: object  # mou.Role
    cost: Decimal


def project_team_approval_refusal(approved_on: date) -> str | None:
    """Why a team's approval date cannot be recorded, if it cannot (the form says so beside the field, too)."""
    if approved_on > timezone.localdate():
        return "Record a team once it is approved: the approval date cannot be in the future."
    return None


@transaction.atomic
def project_team_record(
    *,
    authority,
    agency: Agency,
    name: str,
    service: str,
    cost_of_service: Decimal,
    approved_by: str,
    approved_on: date,
    members: list[TeamMemberInput],
    by=None,
) -> ProjectTeam:
    """A council records a project team it approved: the agency, the service and its cost, who approved it and
    when, and every worker on it with their cost. The national rules allow project teams only so: a placement
    registered as part of one is judged against it (rule `project_team_unapproved`)."""
    refusal = project_team_approval_refusal(approved_on)
    if refusal:
        raise ValidationError({"approved_on": refusal})
    if not members:
        raise ValidationError({"members": "Name at least one worker on the team."})
    numbers = [member.worker_swe_number.strip().upper() for member in members]
    twice = sorted({number for number in numbers if numbers.count(number) > 1})
    if twice:
        raise ValidationError({"members": f"Name each worker once: {', '.join(twice)} is named more than once."})
    if ProjectTeam.objects.filter(authority=authority, agency=agency, name__iexact=name.strip()).exists():
        taken = f"{agency} already has a project team called “{name.strip()}” at {authority}: choose another name."
        raise ValidationError({"name": taken})
    team = ProjectTeam(
        authority=authority,
        agency=agency,
        name=name.strip(),
        service=service.strip(),
        cost_of_service=cost_of_service,
        approved_by=approved_by.strip(),
        approved_on=approved_on,
        recorded_by=by,
    )
    team.full_clean()
    with changed_by(by, action="project team recorded"):
        team.save()
        for member in members:
            project_team_member_add(team=team, member=member, by=by)
    return team


@transaction.atomic
def project_team_member_add(*, team: ProjectTeam, member: TeamMemberInput, by=None) -> ProjectTeamMember:
    """Name a worker on an approved team, with their cost. The worker's placements of that agency registered as
    project-team placements from the team's approval are judged again."""
    worker = worker_for(swe_number=member.worker_swe_number)
    if team.members.filter(worker=worker).exists():
        raise ValidationError({"members": f"{worker.swe_number} is already named on {team.name}."})
    named = ProjectTeamMember(team=team, worker=worker, role=member.role, cost=member.cost)
    named.full_clean()
    with changed_by(by, action="worker named on a project team"):
        named.save()
    JudgedWork(
        reason=f"{worker.swe_number} named on an approved project team",
        placements_from=team.approved_on,
        agency_id=team.agency_id,
        worker_id=worker.pk,
    ).announce(by=by)
    return named
