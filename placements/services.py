"""Writes for placements, leavers and cap exceptions. Timesheet submission lives in placements/timesheets.py."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.models import Agency
from placements.models import Placement, Worker


def worker_for(*, swe_number: str, qualified_on: date | None = None) -> Worker:
    """The worker with this registration number, registering them if unknown; records a qualification date we lacked.

    A qualification date that differs from the one on record is refused rather than silently overwritten: the
    minimum-experience rule depends on it, and the coordinator corrects it (with history) in the admin.
    """
    swe_number = (swe_number or "").strip().upper()
    worker, created = Worker.objects.get_or_create(swe_number=swe_number, defaults={"qualified_on": qualified_on})
    if created:
        worker.full_clean()
    elif qualified_on is not None:
        if worker.qualified_on is None:
            worker.qualified_on = qualified_on
            worker.save(update_fields=["qualified_on"])
        elif worker.qualified_on != qualified_on:
            raise ValidationError(
                {
                    "worker_qualified_on": (
                        f"{swe_number} is recorded as qualified on {worker.qualified_on:%d/%m/%Y}; "
                        "ask the coordinator to correct it if that is wrong."
                    )
                }
            )
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
    by=None,
) -> Placement:
    """Register a placement. Refused while the agency is suspended or removed (SPEC §3 Suspension)."""
    # Lock the agency row: a suspension imposed at this moment must not let one more placement through.
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if not agency.may_register_placements:
        raise ValidationError({"agency": agency_refusal(agency)})
    worker = worker_for(swe_number=worker_swe_number, qualified_on=worker_qualified_on)
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
        created_by=by,
    )
    placement.full_clean()
    placement.save()
    return placement


def agency_refusal(agency: Agency) -> str:
    """Why an agency may not register new placements, in words an agency user can act on."""
    suspension = agency.suspensions.filter(lifted_on__isnull=True).order_by("-starts_on").first()
    if agency.standing == Agency.Standing.REMOVED:
        return f"{agency} has been removed from the MoU's list of agencies and cannot register new placements."
    reason = f" Reason: {suspension.reason}" if suspension else ""
    until = f" until {suspension.ends_on:%d %B %Y}" if suspension and suspension.ends_on else ""
    return f"{agency} is suspended{until} and cannot register new placements.{reason}"
