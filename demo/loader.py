"""Writing the demo data set to the database: `load_demo()`, idempotent.

Every row has a natural key (a version's name, an agency's company number, a worker's registration number, a
placement's worker and start date, a timesheet's placement and week...). Each step reads the keys that exist and
inserts only the rows that are missing, so a second run inserts nothing and updates nothing. The whole load is one
transaction: a run that is killed leaves nothing behind, and the next run loads everything.
"""

import io
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection, transaction
from django.utils import timezone

import pghistory

from accounts.models import User
from accounts.services import user_upsert
from agencies.models import Agency, Suspension
from demo.data import (
    AGENCIES,
    DEMO_PASSWORD,
    DEMO_USER_SPECS,
    DRAFT_VERSION,
    MOU_VERSIONS,
    OFFICIAL_FILES,
    PROJECT_TEAM_APPROVER,
    PROJECT_TEAM_UNNAMED,
    REFEREES,
    REFERENCE_ORGANISATIONS,
    REFERENCES_FROM,
    RETURN_BASELINES,
    RETURN_FIRST_PERIOD,
    SEED,
    SUSPENSION,
    work_until,
)
from demo.plan import Plan, PlannedPlacement, make_plan, money
from mou.models import Cap, MouVersion, Role
from mou.selectors import cap_for
from placements.models import (
    CapException,
    PermanentLeaver,
    Placement,
    ProjectTeam,
    ProjectTeamMember,
    Reference,
    Timesheet,
    TimesheetLine,
    Worker,
)
from placements.timesheets import week_ending_of
from region.models import Authority
from region.selectors import WEST_MIDLANDS, deployment_region
from workforce.models import OfficialFigure, WorkforceReturn

# Serialises concurrent runs (two `make run`s at once): the second waits, then finds everything loaded.
ADVISORY_LOCK_ID = 2015_0001
BATCH_SIZE = 5000
# Every week of every placement gets a timesheet: placements last 3-18 months and only late starters are still open
# at DATA_END (they run on to the week before the demo is loaded), so that is about 20,000 timesheets and 100,000
# lines, which load in seconds. This cap keeps the volume bounded however late the demo is loaded: a placement keeps
# only its most recent three years of weeks.
MAX_WEEKS_PER_PLACEMENT = 156
STANDARD_DAY = Decimal("7.50")


class DemoDataError(Exception):
    """The database holds something that the demo would contradict (e.g. another MoU version in force)."""


@dataclass
class Tally:
    label: str
    total: int
    created: int


@dataclass
class Summary:
    tallies: list[Tally] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, label: str, total: int, created: int) -> None:
        self.tallies.append(Tally(label, total, created))

    @property
    def changed(self) -> bool:
        return any(tally.created for tally in self.tallies)


def load_demo(*, today: date | None = None) -> Summary:
    """Load what is missing of the demo, its timesheets and returns running to the last full week before `today`."""
    started = time.monotonic()
    until = work_until(today or timezone.localdate())
    summary = Summary()
    with transaction.atomic(), pghistory.context(source="load_demo"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_ID])
        region = deployment_region()
        if region.code != WEST_MIDLANDS.code:
            # Its councils, placements and returns are the West Midlands' 14 authorities'.
            raise DemoDataError(f"the demo is the West Midlands'; this deployment is set up for {region.in_prose}.")
        versions = _load_versions(summary)
        _load_draft(summary)
        agencies = _load_agencies(summary)
        users = _load_users(summary, agencies)
        _load_suspension(summary, agencies, users["coordinator"])
        plan = make_plan(SEED)
        placements = _load_workers_and_placements(summary, plan, agencies, versions)
        _load_leavers(summary, plan, users)
        _load_cap_exceptions(summary, plan, placements, users)
        _load_references(summary, plan, placements, users)
        _load_project_teams(summary, plan, placements, users)
        _load_timesheets(summary, plan, placements, until)
        _load_workforce_returns(summary, users, until)
        _load_official_statistics(summary)
    summary.seconds = time.monotonic() - started
    return summary


def _missing(rows: Iterable, key, existing: set) -> list:
    """The rows whose natural key (`key(row)`) is not in `existing`."""
    return [row for row in rows if key(row) not in existing]


# --- MoU versions and caps -----------------------------------------------------------------------------------------


def _load_versions(summary: Summary) -> list[MouVersion]:
    newest = max(spec["effective_from"] for spec in MOU_VERSIONS)
    names = [spec["name"] for spec in MOU_VERSIONS]
    existing = {version.name: version for version in MouVersion.objects.filter(name__in=names)}
    missing = [spec for spec in MOU_VERSIONS if spec["name"] not in existing]
    if missing:
        others = MouVersion.objects.published().exclude(name__in=names)
        clash = others.filter(effective_from__in=[spec["effective_from"] for spec in missing]).first()
        if clash:
            raise DemoDataError(f"MoU version {clash.name!r} is already published from {clash.effective_from}.")
        if others.filter(status=MouVersion.Status.IN_FORCE).exists():
            raise DemoDataError("Another MoU version is in force; the demo's versions would contradict it.")
    # Oldest first, so the newest is created last and is the one left in force.
    for spec in sorted(missing, key=lambda spec: spec["effective_from"]):
        existing[spec["name"]] = MouVersion.objects.create(
            name=spec["name"],
            effective_from=spec["effective_from"],
            binds_existing_from=spec["binds_existing_from"],
            status=MouVersion.Status.IN_FORCE if spec["effective_from"] == newest else MouVersion.Status.SUPERSEDED,
            cooling_off_months=spec["cooling_off_months"],
            min_experience_years=spec["min_experience_years"],
            min_references=spec.get("min_references", 0),
            notes=spec["notes"],
        )
    summary.add("MoU versions", len(MOU_VERSIONS), len(missing))

    roles = {role.code: role for role in Role.objects.all()}
    versions = [existing[name] for name in names]
    have = set(Cap.objects.filter(version__in=versions).values_list("version_id", "role__code", "engagement_type"))
    wanted = [
        Cap(
            version=existing[spec["name"]],
            role=roles[role],
            engagement_type=engagement,
            max_pay_rate=pay,
            max_charge_rate=charge,
        )
        for spec in MOU_VERSIONS
        for role, engagement, pay, charge in spec["caps"]
    ]
    new_caps = _missing(wanted, lambda cap: (cap.version_id, cap.role.code, cap.engagement_type), have)
    Cap.objects.bulk_create(new_caps)
    summary.add("caps", len(wanted), len(new_caps))
    return versions


def _load_draft(summary: Summary) -> None:
    """The demo's draft version, for the what-if; left alone once it exists (the coordinator may have edited it)."""
    spec = DRAFT_VERSION
    draft, created = MouVersion.objects.get_or_create(
        name=spec["name"],
        defaults={
            "effective_from": spec["effective_from"],
            "binds_existing_from": spec["binds_existing_from"],
            "status": MouVersion.Status.DRAFT,
            "cooling_off_months": spec["cooling_off_months"],
            "min_experience_years": spec["min_experience_years"],
            "min_references": spec.get("min_references", 0),
            "notes": spec["notes"],
        },
    )
    if created:
        roles = {role.code: role for role in Role.objects.all()}
        Cap.objects.bulk_create(
            Cap(version=draft, role=roles[role], engagement_type=engagement, max_pay_rate=pay, max_charge_rate=charge)
            for role, engagement, pay, charge in spec["caps"]
        )
    summary.add("draft MoU versions", 1, int(created))


# --- Agencies, users, suspension -----------------------------------------------------------------------------------


def _load_agencies(summary: Summary) -> dict[str, Agency]:
    numbers = [number for _name, number, *_ in AGENCIES]
    existing = {agency.company_number: agency for agency in Agency.objects.filter(company_number__in=numbers)}
    by_name = {agency.name: agency for agency in existing.values()}
    created = 0
    # MSPs come first in AGENCIES, so a second-tier agency's MSP exists when it is created.
    for name, number, signed_on, standing, is_msp, through, _weight in AGENCIES:
        if number in existing:
            continue
        slug = name.split()[0].lower()
        agency = Agency.objects.create(
            name=name,
            company_number=number,
            standing=standing,
            is_msp=is_msp,
            supplied_through=by_name[through] if through else None,
            mou_signed_on=signed_on,
            contact_email=f"compliance@{slug}.example",
        )
        existing[number] = by_name[name] = agency
        created += 1
    summary.add("agencies", len(AGENCIES), created)
    return {name: existing[number] for name, number, *_ in AGENCIES}


def _load_users(summary: Summary, agencies: dict[str, Agency]) -> dict[str, User]:
    users = {}
    changed = 0
    for username, role, authority_code, agency_name, _sees in DEMO_USER_SPECS:
        agency = agencies[agency_name] if agency_name else None
        user = User.objects.filter(username=username).select_related("authority").first()
        up_to_date = (
            user is not None
            and user.role == role
            and (user.authority.code if user.authority else None) == authority_code
            and user.agency_id == (agency.id if agency else None)
            and user.check_password(DEMO_PASSWORD)
        )
        if not up_to_date:
            user, _created = user_upsert(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                authority_code=authority_code,
                agency_id=agency.id if agency else None,
            )
            changed += 1
        users[username] = user
    summary.add("demo users", len(DEMO_USER_SPECS), changed)
    return users


def _load_suspension(summary: Summary, agencies: dict[str, Agency], coordinator: User) -> None:
    agency = agencies[SUSPENSION["agency"]]
    _suspension, created = Suspension.objects.get_or_create(
        agency=agency,
        kind=SUSPENSION["kind"],
        starts_on=SUSPENSION["starts_on"],
        defaults={"ends_on": SUSPENSION["ends_on"], "reason": SUSPENSION["reason"], "imposed_by": coordinator},
    )
    summary.add("suspensions", 1, int(created))


# --- Workers and placements ----------------------------------------------------------------------------------------


@dataclass
class Rates:
    pay_rate: Decimal
    on_costs: Decimal
    charge_rate: Decimal
    # The lowest caps over the placement's life (None for an uncapped role): timesheet lines stay within them.
    pay_cap: Decimal | None
    charge_cap: Decimal | None


def _caps_over_life(placement: PlannedPlacement, role: Role, versions: list[MouVersion]):
    """The lowest pay and charge caps binding any day of the placement (a placement can cross into a version that
    binds existing placements). Checked at the start and on every date a version starts to bind."""
    days = {placement.start_date}
    for version in versions:
        for day in (version.effective_from, version.binds_existing_from):
            if placement.start_date < day <= placement.last_day:
                days.add(day)
    pay_caps, charge_caps = [], []
    for day in sorted(days):
        applicable = cap_for(
            role=role, engagement_type=placement.engagement_type, started_on=placement.start_date, worked_on=day
        )
        if applicable is not None and applicable.max_pay_rate is not None:
            pay_caps.append(applicable.max_pay_rate)
            if applicable.max_charge_rate is not None:
                charge_caps.append(applicable.max_charge_rate)
    return min(pay_caps, default=None), min(charge_caps, default=None)


def _rates(placement: PlannedPlacement, role: Role, versions: list[MouVersion]) -> Rates:
    """Pay at or a little below the cap, on-costs 10-20 % of pay, charge = pay + on-costs + margin; the planned
    over-cap placements go above the pay cap or (paying within it) above the charge cap."""
    pay_cap, charge_cap = _caps_over_life(placement, role, versions)
    if pay_cap is None:
        pay = placement.uncapped_pay
    elif placement.over_cap == "pay":
        pay = pay_cap + placement.excess
    else:
        pay = pay_cap - placement.below_cap
    on_costs = money(pay * placement.on_cost_share)
    charge = pay + on_costs + placement.margin
    if placement.over_cap == "charge":
        charge = charge_cap + placement.excess * 2  # a margin well above the usual
    elif placement.over_cap is None and charge_cap is not None and charge > charge_cap:
        # Within the cap: the agency trims its on-costs to stay under the charge cap.
        charge = charge_cap
        on_costs = charge - pay - placement.margin
    return Rates(pay, on_costs, charge, pay_cap, charge_cap)


def _load_workers_and_placements(
    summary: Summary, plan: Plan, agencies: dict[str, Agency], versions: list[MouVersion]
) -> dict[tuple, tuple[Placement, Rates]]:
    numbers = [worker.swe_number for worker in plan.workers]
    have = set(Worker.objects.filter(swe_number__in=numbers).values_list("swe_number", flat=True))
    new_workers = [Worker(swe_number=worker.swe_number) for worker in plan.workers if worker.swe_number not in have]
    Worker.objects.bulk_create(new_workers, batch_size=BATCH_SIZE)
    summary.add("workers", len(plan.workers), len(new_workers))
    workers = {worker.swe_number: worker for worker in Worker.objects.filter(swe_number__in=numbers)}

    roles = {role.code: role for role in Role.objects.all()}
    authorities = {authority.code: authority for authority in Authority.objects.all()}
    rates = {p.key: _rates(p, roles[p.role], versions) for p in plan.placements}
    # What each agency states of its worker's qualification, with each placement (the demo's agencies agree).
    qualified_on = {worker.swe_number: worker.qualified_on for worker in plan.workers}

    def existing():
        placements = Placement.objects.filter(worker__in=workers.values()).select_related("worker")
        return {(placement.worker.swe_number, placement.start_date): placement for placement in placements}

    have = existing()
    new_placements = [
        Placement(
            agency=agencies[p.agency],
            authority=authorities[p.authority],
            role=roles[p.role],
            worker=workers[p.swe_number],
            engagement_type=p.engagement_type,
            start_date=p.start_date,
            end_date=p.end_date,
            pay_rate=rates[p.key].pay_rate,
            on_costs=rates[p.key].on_costs,
            charge_rate=rates[p.key].charge_rate,
            project_team=p.project_team,
            worker_qualified_on=qualified_on[p.swe_number],
        )
        for p in plan.placements
        if p.key not in have
    ]
    Placement.objects.bulk_create(new_placements, batch_size=BATCH_SIZE)
    summary.add("placements", len(plan.placements), len(new_placements))
    if new_placements:
        have = existing()
    return {p.key: (have[p.key], rates[p.key]) for p in plan.placements}


def _load_leavers(summary: Summary, plan: Plan, users: dict[str, User]) -> None:
    workers = {w.swe_number: w for w in Worker.objects.filter(swe_number__in=[lv.swe_number for lv in plan.leavers])}
    authorities = {authority.code: authority for authority in Authority.objects.all()}
    recorders = {user.authority_id: user for user in users.values() if user.authority_id}
    have = set(
        PermanentLeaver.objects.filter(worker__in=workers.values()).values_list(
            "authority__code", "worker__swe_number", "left_on"
        )
    )
    new = [
        PermanentLeaver(
            authority=authorities[leaver.authority],
            worker=workers[leaver.swe_number],
            left_on=leaver.left_on,
            reason=leaver.reason,
            recorded_by=recorders.get(authorities[leaver.authority].id),
        )
        for leaver in _missing(plan.leavers, lambda lv: (lv.authority, lv.swe_number, lv.left_on), have)
    ]
    PermanentLeaver.objects.bulk_create(new)
    summary.add("permanent leavers", len(plan.leavers), len(new))


def _load_cap_exceptions(summary: Summary, plan: Plan, placements: dict, users: dict[str, User]) -> None:
    ids = [placements[exception.placement][0].id for exception in plan.exceptions]
    have = set(CapException.objects.filter(placement_id__in=ids).values_list("placement_id", "valid_from"))
    new = []
    for exception in plan.exceptions:
        placement = placements[exception.placement][0]
        if (placement.id, exception.valid_from) in have:
            continue
        recorder = next((u for u in users.values() if u.authority_id == placement.authority_id), users["coordinator"])
        new.append(
            CapException(
                placement=placement,
                signed_by_dcs=exception.signed_by_dcs,
                signed_by_chief_executive=exception.signed_by_chief_executive,
                reason=exception.reason,
                valid_from=exception.valid_from,
                valid_until=exception.valid_until,
                recorded_by=recorder,
            )
        )
    CapException.objects.bulk_create(new)
    summary.add("cap exceptions", len(plan.exceptions), len(new))


# --- The national rules' records: references and project teams ---------------------------------------------------


def _planned_references(planned: PlannedPlacement) -> list[tuple[str, str, str, date]]:
    """The references an agency recorded for a placement starting under the national rules (its own generator: the
    same whichever other rows exist)."""
    if planned.start_date < REFERENCES_FROM:
        return []
    rng = random.Random(f"{SEED}:references:{planned.swe_number}:{planned.start_date}")
    count = 1 if rng.random() < 1 / 16 else 2
    referees = rng.sample(REFEREES, count)
    return [
        (name, role, rng.choice(REFERENCE_ORGANISATIONS), planned.start_date - timedelta(days=rng.randint(10, 60)))
        for name, role in referees
    ]


def _load_references(summary: Summary, plan: Plan, placements: dict, users: dict[str, User]) -> None:
    ids = [placement.id for placement, _rates in placements.values()]
    have = set(Reference.objects.filter(placement_id__in=ids).values_list("placement_id", "referee", "given_on"))
    wanted = [
        Reference(
            placement=placements[planned.key][0],
            referee=name,
            referee_role=role,
            organisation=organisation,
            given_on=given_on,
            recorded_by=next((u for u in users.values() if u.agency and u.agency.name == planned.agency), None),
        )
        for planned in plan.placements
        for name, role, organisation, given_on in _planned_references(planned)
    ]
    new = _missing(wanted, lambda ref: (ref.placement.id, ref.referee, ref.given_on), have)
    Reference.objects.bulk_create(new, batch_size=BATCH_SIZE)
    summary.add("references", len(wanted), len(new))


def _load_project_teams(summary: Summary, plan: Plan, placements: dict, users: dict[str, User]) -> None:
    """One approved team per agency and council with project-team placements, naming their workers with a year's
    cost (charge × the evaluation's 1,665 hours), except the workers of the latest few such placements."""
    in_teams = sorted((p for p in plan.placements if p.project_team), key=lambda p: (p.start_date, p.swe_number))
    unnamed = {p.swe_number for p in in_teams[-PROJECT_TEAM_UNNAMED:]}
    groups: dict[tuple[str, str], list[PlannedPlacement]] = {}
    for planned in in_teams:
        groups.setdefault((planned.agency, planned.authority), []).append(planned)
    agencies = {agency.name: agency for agency in Agency.objects.filter(name__in={a for a, _ in groups})}
    authorities = {authority.code: authority for authority in Authority.objects.all()}
    have = {
        (team.agency.name, team.authority.code): team
        for team in ProjectTeam.objects.select_related("agency", "authority").filter(name="Managed service team")
    }
    new_teams, new_members, members_total = 0, 0, 0
    for (agency_name, code), group in groups.items():
        costs: dict[str, tuple[Role, Decimal]] = {}
        for planned in group:
            placement, rates = placements[planned.key]
            if planned.swe_number not in unnamed:
                costs[planned.swe_number] = (placement.role, money(rates.charge_rate * 1665))
        members_total += len(costs)
        team = have.get((agency_name, code))
        if team is None:
            recorder = next((u for u in users.values() if u.authority_id == authorities[code].id), users["coordinator"])
            team = ProjectTeam.objects.create(
                authority=authorities[code],
                agency=agencies[agency_name],
                name="Managed service team",
                service="Assessment and child protection casework",
                cost_of_service=money(sum((cost for _role, cost in costs.values()), Decimal("0")) * Decimal("1.10")),
                approved_by=PROJECT_TEAM_APPROVER,
                approved_on=group[0].start_date - timedelta(days=14),
                recorded_by=recorder,
            )
            new_teams += 1
        named = set(team.members.values_list("worker__swe_number", flat=True))
        workers = {w.swe_number: w for w in Worker.objects.filter(swe_number__in=costs)}
        add = [
            ProjectTeamMember(team=team, worker=workers[number], role=role, cost=cost)
            for number, (role, cost) in costs.items()
            if number not in named
        ]
        ProjectTeamMember.objects.bulk_create(add)
        new_members += len(add)
    summary.add("project teams", len(groups), new_teams)
    summary.add("project team members", members_total, new_members)


# --- Timesheets ----------------------------------------------------------------------------------------------------


def _weeks(placement: PlannedPlacement, until: date) -> list[date]:
    """Week-ending Sundays with work in them, from the start to the last day, none ending after `until`."""
    first = week_ending_of(placement.start_date)
    last_day = placement.worked_until(until)
    weeks = []
    week_ending = first
    while week_ending <= until and week_ending - timedelta(days=6) <= last_day:
        weeks.append(week_ending)
        week_ending += timedelta(weeks=1)
    return weeks[-MAX_WEEKS_PER_PLACEMENT:]


def _week_lines(
    rng: random.Random, planned: PlannedPlacement, rates: Rates, week_ending: date, until: date
) -> list[dict]:
    """Monday to Friday within the placement: 7.5 h at the placement's rates, with the odd day off, a longer or
    shorter day, and now and then an enhanced rate (which stays within the cap unless the placement is over it)."""
    lines = []
    for offset in range(6, 1, -1):
        day = week_ending - timedelta(days=offset)
        draw, hours_choice, bump = rng.random(), rng.choice(["4.00", "6.00", "8.00", "9.50", "10.00"]), rng.random()
        if not (planned.start_date <= day <= planned.worked_until(until)) or draw < 0.02:
            continue
        hours = Decimal(hours_choice) if draw < 0.06 else STANDARD_DAY
        pay, charge = rates.pay_rate, rates.charge_rate
        if bump < 0.01:
            extra = Decimal("1.50")
            if planned.over_cap is None and rates.pay_cap is not None:
                extra = min(extra, rates.pay_cap - pay, (rates.charge_cap or charge + extra) - charge)
            pay, charge = pay + extra, charge + extra
        lines.append({"date": day, "hours": hours, "pay_rate": pay, "charge_rate": charge})
    return lines


def _load_timesheets(summary: Summary, plan: Plan, placements: dict, until: date) -> None:
    ids = [placement.id for placement, _rates in placements.values()]
    have = set(Timesheet.objects.filter(placement_id__in=ids).values_list("placement_id", "week_ending"))
    new_sheets, sheet_lines = [], []
    total_sheets = 0
    for planned in plan.placements:
        placement, rates = placements[planned.key]
        # One generator per placement, seeded by its key: its lines are the same whichever other rows exist.
        rng = random.Random(f"{SEED}:{planned.swe_number}:{planned.start_date}")
        for week_ending in _weeks(planned, until):
            lines = _week_lines(rng, planned, rates, week_ending, until)
            if not lines:
                continue
            total_sheets += 1
            if (placement.id, week_ending) in have:
                continue
            new_sheets.append(Timesheet(placement=placement, week_ending=week_ending, revision=1))
            sheet_lines.append(lines)
    Timesheet.objects.bulk_create(new_sheets, batch_size=BATCH_SIZE)
    new_lines = [
        TimesheetLine(timesheet=sheet, placement_id=sheet.placement_id, revision=sheet.revision, **line)
        for sheet, lines in zip(new_sheets, sheet_lines, strict=True)
        for line in lines
    ]
    TimesheetLine.objects.bulk_create(new_lines, batch_size=BATCH_SIZE)
    summary.add("timesheets", total_sheets, len(new_sheets))
    summary.add("timesheet lines", TimesheetLine.objects.filter(placement_id__in=ids).count(), len(new_lines))


# --- Workforce returns and official statistics ---------------------------------------------------------------------


def _quarter_ends(first: date, last: date) -> list[date]:
    ends, year, quarter = [], first.year, (first.month - 1) // 3
    while True:
        month = 3 * quarter + 3
        end = date(year, month, 31 if month in (3, 12) else 30)
        if end > last:
            return ends
        if end >= first:
            ends.append(end)
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)


def _load_workforce_returns(summary: Summary, users: dict[str, User], until: date) -> None:
    """Every authority's quarterly return from RETURN_FIRST_PERIOD to the last quarter ended by `until`."""
    authorities = {a.code: a for a in Authority.objects.filter(code__in=RETURN_BASELINES)}
    submitters = {user.authority_id: user for user in users.values() if user.authority_id}
    have = set(
        WorkforceReturn.objects.filter(authority__in=authorities.values()).values_list("authority__code", "period_end")
    )
    periods = _quarter_ends(RETURN_FIRST_PERIOD, until)
    new, total = [], 0
    for code, baseline in RETURN_BASELINES.items():
        employed, agency, vacancies, leavers, absence = (Decimal(value) for value in baseline)
        # One generator per authority: its returns are the same however many quarters have ended since.
        rng = random.Random(f"{SEED}:returns:{code}")
        for i, period_end in enumerate(periods):
            # Slowly more employed staff and fewer agency workers, as the region recruits; a little noise.
            noise = [Decimal(rng.randint(-30, 30)) / 1000 for _ in range(5)]
            total += 1
            if (code, period_end) in have:
                continue
            trend = Decimal(i) / 100
            new.append(
                WorkforceReturn(
                    authority=authorities[code],
                    period_end=period_end,
                    permanent_fte=(employed * (1 + trend / 2 + noise[0])).quantize(Decimal("0.1")),
                    agency_fte=(agency * (1 - trend + noise[1])).quantize(Decimal("0.1")),
                    vacancies_fte=(vacancies * (1 - trend / 2 + noise[2])).quantize(Decimal("0.1")),
                    leavers_fte=(leavers * (1 + noise[3])).quantize(Decimal("0.1")),
                    absence_rate=(absence * (1 + noise[4] * 3)).quantize(Decimal("0.01")),
                    submitted_by=submitters.get(authorities[code].id),
                )
            )
    WorkforceReturn.objects.bulk_create(new)
    summary.add("workforce returns", total, len(new))


def _load_official_statistics(summary: Summary) -> None:
    """The DfE's published figures, through the import command, when it and the files are there."""
    if "import_workforce_stats" not in get_commands():
        summary.warnings.append("The import_workforce_stats command is not available: official statistics skipped.")
        return
    before = OfficialFigure.objects.count()
    for filename in OFFICIAL_FILES:
        path = settings.BASE_DIR / "data" / "official" / filename
        if not path.exists():
            summary.warnings.append(f"{path} is missing: official statistics from it skipped.")
            continue
        report = io.StringIO()
        try:
            # A savepoint: a file the importer refuses doesn't undo the rest of the demo.
            with transaction.atomic():
                call_command("import_workforce_stats", str(path), stdout=report, stderr=report)
        except Exception as error:  # whatever the importer raises, the demo goes on without that file
            summary.warnings.append(f"Importing {filename} failed: {error}")
            continue
        summary.notes.append(f"{filename}: {report.getvalue().strip()}")
    summary.add("official statistics rows", OfficialFigure.objects.count(), OfficialFigure.objects.count() - before)
