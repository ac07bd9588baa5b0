"""The booking check (SPEC §4, the national agency rules at booking): before a placement is registered, every rule's
answer for that worker, authority, role, engagement type, start date and rates. It stores nothing, and registering
anyway stays possible (councils decide): the audit then opens the case as for any placement.

Each rule is the audit's (compliance/audit.py judges them set-based after the fact): the version that binds the start
(`mou.selectors`), the arithmetic of `mou.rules`, a suspension in effect (`Suspension.is_active_on`), the exempt
leaving reasons of `PermanentLeaver`. Messages never reveal another tenant's records: a cooling-off failure says
until when, not which council or why; another agency's claim about the worker is never read.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agencies.models import Agency
from mou.models import MouVersion
from mou.rules import add_months, has_min_experience
from mou.selectors import cap_check, version_in_force
from placements.models import PermanentLeaver, ProjectTeamMember, Worker

PASS, FAIL, UNKNOWN, EXEMPT = "pass", "fail", "unknown", "exempt"


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    outcome: str  # pass, fail, unknown or exempt
    message: str


@dataclass(frozen=True)
class BookingCheck:
    checks: list[RuleCheck]

    @property
    def unknown(self) -> bool:
        return any(check.outcome == UNKNOWN for check in self.checks)

    @property
    def allowed(self) -> bool:
        """False only when a rule fails; an unknown (a date not given) is shown, not blocking."""
        return all(check.outcome != FAIL for check in self.checks)


def _day(value: date) -> str:
    return f"{value:%-d %B %Y}"


def booking_check(
    *,
    agency: Agency,
    role,
    worker_swe_number: str,
    engagement_type: str,
    start_date: date,
    pay_rate: Decimal,
    charge_rate: Decimal,
    worker_qualified_on: date | None = None,
    end_date: date | None = None,
    on_costs: Decimal | None = None,
    authority=None,
    project_team: bool = False,
    references: list | None = None,
    **_ignored,
) -> BookingCheck:
    """Every rule's answer for a placement as it would be registered (the same arguments as `placement_register`)."""
    worker = Worker.objects.filter(swe_number=(worker_swe_number or "").strip().upper()).first()
    version = version_in_force(on=start_date)
    rates = dict(role=role, engagement_type=engagement_type, pay=pay_rate, charge=charge_rate, on_costs=on_costs)
    return BookingCheck(
        checks=[
            _suspended_agency(agency, start_date),
            _cooling_off(worker, start_date, version),
            _experience(worker, worker_qualified_on, start_date, version),
            *_caps(start=start_date, **rates),
            *_later_caps(start=start_date, end=end_date, **rates),
            _references(references or [], start_date, version),
            _project_team(agency, authority, worker, project_team, start_date),
        ]
    )


def _suspended_agency(agency: Agency, start: date) -> RuleCheck:
    if agency.standing == Agency.Standing.REMOVED:
        return RuleCheck("suspended_agency", FAIL, f"{agency} has been removed from the MoU's list of agencies.")
    suspension = agency.suspensions.active_on(start).order_by("starts_on").first()
    if suspension is not None:
        until = f" until {_day(suspension.ends_on)}" if suspension.ends_on else " until lifted"
        return RuleCheck("suspended_agency", FAIL, f"{agency} is suspended on {_day(start)}{until}.")
    return RuleCheck("suspended_agency", PASS, f"{agency} is not suspended on {_day(start)}.")


def _cooling_off(worker: Worker | None, start: date, version) -> RuleCheck:
    months = version.cooling_off_months if version else 0
    if not months:
        return RuleCheck("cooling_off", PASS, "No cooling-off period applies on that date.")
    leavers = (
        list(PermanentLeaver.objects.filter(worker=worker, left_on__lte=start).order_by("-left_on")) if worker else []
    )
    within = [leaver for leaver in leavers if start < add_months(leaver.left_on, months)]
    binding = [leaver for leaver in within if not leaver.is_exempt]
    if binding:
        until = max(add_months(leaver.left_on, months) for leaver in binding)
        return RuleCheck(
            "cooling_off",
            FAIL,
            f"The worker left a permanent post in the region within the cooling-off period of {months} months "
            f"(until {_day(until)}).",
        )
    if within:
        return RuleCheck(
            "cooling_off",
            EXEMPT,
            f"The worker left a permanent post in the region within {months} months, for a reason that starts no "
            "cooling-off period.",
        )
    return RuleCheck(
        "cooling_off", PASS, f"No permanent post in the region left within {months} months before the start."
    )


def _experience(worker: Worker | None, claimed: date | None, start: date, version) -> RuleCheck:
    years = version.min_experience_years if version else 0
    if not years:
        return RuleCheck("experience_below_minimum", PASS, "No minimum experience applies on that date.")
    verified = worker.verified_qualified_on if worker else None
    qualified_on, source = (verified, " (verified by the coordinator)") if verified else (claimed, "")
    if qualified_on is None:
        return RuleCheck(
            "experience_below_minimum",
            UNKNOWN,
            f"At least {years} years' post-qualifying experience is needed: give the worker's date of qualification.",
        )
    if has_min_experience(qualified_on=qualified_on, starts_on=start, years=years):
        return RuleCheck(
            "experience_below_minimum",
            PASS,
            f"Qualified on {_day(qualified_on)}{source}: at least {years} years' experience by the start.",
        )
    return RuleCheck(
        "experience_below_minimum",
        FAIL,
        f"Qualified on {_day(qualified_on)}{source}: under {years} years' post-qualifying experience by the start "
        f"({years} years are reached on {_day(add_months(qualified_on, 12 * years))}).",
    )


def _later_caps(*, role, engagement_type, start: date, end: date | None, pay, charge, on_costs) -> list[RuleCheck]:
    """A version already adopted for a later date binds the placement from its `binds_existing_from` if it runs that
    long: its caps are the placement's then, so going above them is a breach to come, said now."""
    if not role.capped:
        return []
    checks = []
    later = MouVersion.objects.published().filter(effective_from__gt=start).order_by("effective_from")
    for version in later:
        if end is not None and end < version.binds_existing_from:
            break
        day = version.binds_existing_from
        check = cap_check(
            role=role,
            on=day,
            started_on=start,
            pay_rate=pay,
            charge_rate=charge,
            engagement_type=engagement_type,
            on_costs=on_costs,
        )
        cap = check.applicable.cap if check.applicable else None
        if cap is None:
            continue
        if check.pay_excess:
            checks.append(
                RuleCheck(
                    "pay_rate_above_cap",
                    FAIL,
                    f"From {_day(day)} {version.name} binds this placement: {_pay(pay, on_costs, check)} is "
                    f"£{check.pay_excess}/h above its pay cap of £{cap.max_pay_rate}/h.",
                )
            )
        if check.charge_excess:
            checks.append(
                RuleCheck(
                    "charge_rate_above_cap",
                    FAIL,
                    f"From {_day(day)} {version.name} binds this placement: £{charge:.2f}/h is "
                    f"£{check.charge_excess}/h above its charge cap of £{cap.max_charge_rate}/h.",
                )
            )
    return checks


def _pay(pay: Decimal, on_costs: Decimal | None, check) -> str:
    """The pay as the cap compares it: with the on-costs where the version counts them."""
    if check.on_costs_counted:
        return f"£{pay:.2f}/h pay plus £{on_costs or 0:.2f}/h on-costs"
    return f"£{pay:.2f}/h"


def _caps(*, role, engagement_type: str, start: date, pay: Decimal, charge: Decimal, on_costs) -> list[RuleCheck]:
    check = cap_check(
        role=role, on=start, pay_rate=pay, charge_rate=charge, engagement_type=engagement_type, on_costs=on_costs
    )
    cap = check.applicable.cap if check.applicable else None
    if not role.capped:
        outside = f"{role.code} is above team manager level, outside the MoU's caps"
        return [
            RuleCheck("pay_rate_above_cap", EXEMPT, f"Pay: {outside}."),
            RuleCheck("charge_rate_above_cap", EXEMPT, f"Charge: {outside}."),
        ]
    if cap is None:
        none = "No cap applies to this role on that date."
        return [RuleCheck("pay_rate_above_cap", PASS, none), RuleCheck("charge_rate_above_cap", PASS, none)]
    version = check.mou_version.name
    checks = [
        RuleCheck(
            "pay_rate_above_cap",
            FAIL if check.pay_excess else PASS,
            f"{_pay(pay, on_costs, check)} is £{check.pay_excess}/h above the pay cap of £{cap.max_pay_rate}/h "
            f"({version})."
            if check.pay_excess
            else f"{_pay(pay, on_costs, check)} is within the pay cap of £{cap.max_pay_rate}/h ({version}).",
        )
    ]
    if cap.max_charge_rate is None:
        checks.append(RuleCheck("charge_rate_above_cap", PASS, f"{version} sets no charge-rate cap for this role."))
    else:
        checks.append(
            RuleCheck(
                "charge_rate_above_cap",
                FAIL if check.charge_excess else PASS,
                f"£{charge:.2f}/h is £{check.charge_excess}/h above the charge cap of £{cap.max_charge_rate}/h "
                f"({version})."
                if check.charge_excess
                else f"£{charge:.2f}/h is within the charge cap of £{cap.max_charge_rate}/h ({version}).",
            )
        )
    return checks


def _references(references: list, start: date, version) -> RuleCheck:
    """The references given with the booking (the placement's own: none is read from another placement)."""
    needed = version.min_references if version else 0
    if not needed:
        return RuleCheck("references_missing", PASS, "No minimum number of references applies on that date.")
    by_start = [ref for ref in references if ref.given_on <= start]
    if len(by_start) >= needed:
        return RuleCheck(
            "references_missing",
            PASS,
            f"{len(by_start)} practice-based references dated by the start ({needed} needed).",
        )
    return RuleCheck(
        "references_missing",
        FAIL,
        f"{len(by_start)} practice-based reference{'' if len(by_start) == 1 else 's'} dated by the start; at least "
        f"{needed} are needed by {_day(start)}. Record them with the placement.",
    )


def _project_team(agency: Agency, authority, worker: Worker | None, project_team: bool, start: date) -> RuleCheck:
    """Only the agency's own teams at this council are read."""
    if not project_team:
        return RuleCheck("project_team_unapproved", PASS, "Not part of a project team.")
    named = (
        worker is not None
        and authority is not None
        and ProjectTeamMember.objects.filter(
            worker=worker, team__agency=agency, team__authority=authority, team__approved_on__lte=start
        ).exists()
    )
    if named:
        return RuleCheck(
            "project_team_unapproved", PASS, f"The worker is named on a project team of {agency} approved by the start."
        )
    return RuleCheck(
        "project_team_unapproved",
        FAIL,
        f"The worker is not named on a project team of {agency} that the council approved by {_day(start)}: the "
        "council must record the team, naming the worker, before a project-team placement.",
    )
