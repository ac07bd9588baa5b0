"""The seeded, random part of the demo: workers, placements, leavers and cap exceptions, as plain data.

Nothing here touches the database: the plan depends only on the seed, so every run plans exactly the same rows and
the loader can insert just those that are missing. Rates are drawn here as *offsets* from a cap (how far below it,
how far above it); the loader turns them into money with the caps it finds through `mou.selectors.cap_for`.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from demo.data import (
    AGENCIES,
    AUTHORITY_WEIGHTS,
    DATA_END,
    DATA_START,
    ENGAGEMENT_WEIGHTS,
    EXCEPTION_REASONS,
    REMOVED_AGENCY_LAST_END,
    REMOVED_AGENCY_NAME,
    ROLE_WEIGHTS,
    SEED,
    SIGNATORIES,
    SUSPENSION,
)
from futuresocial.money import PENNY
from mou.rules import add_months

PLACEMENT_COUNT = 400
OVER_PAY_CAP_COUNT = 10  # placements paying above the pay cap...
OVER_CHARGE_CAP_COUNT = 6  # ...and charging above the charge cap while paying within: 16 of 400 = 4 %
CAP_EXCEPTION_COUNT = 8  # of those 16, the ones a council signed off (for part of the placement)
JUNIOR_WORKER_COUNT = 3  # fewer than 3 years since qualifying when their 2025 placement starts
UNKNOWN_QUALIFICATION_COUNT = 4  # qualified_on not recorded
COOLING_OFF_LEAVER_COUNT = 12  # left a permanent post within 12 months before their first placement
OLDER_LEAVER_COUNT = 18  # left more than a year before
LAST_START = date(2025, 10, 31)


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(PENNY)


@dataclass
class PlannedPlacement:
    swe_number: str
    agency: str  # agency name
    authority: str  # ONS code
    role: str
    engagement_type: str
    start_date: date
    end_date: date | None
    project_team: bool
    below_cap: Decimal  # pay this much below the pay cap (capped roles)
    on_cost_share: Decimal  # on-costs as a share of pay
    margin: Decimal  # agency margin per hour
    uncapped_pay: Decimal  # pay for roles outside the MoU
    excess: Decimal  # how far above the cap an over-cap placement goes
    over_cap: str | None = None  # None, "pay" or "charge"

    @property
    def key(self):
        return (self.swe_number, self.start_date)

    @property
    def last_day(self) -> date:
        """The last day of work in the demo's world (open and future-ending placements stop at DATA_END)."""
        return min(self.end_date or DATA_END, DATA_END)

    def worked_until(self, until: date) -> date:
        """The last day of work when the demo's timesheets run to `until` (see `demo.data.work_until`)."""
        return min(self.end_date or until, until)


@dataclass
class PlannedWorker:
    swe_number: str
    qualified_on: date | None = None
    placements: list[PlannedPlacement] = field(default_factory=list)


@dataclass
class PlannedLeaver:
    swe_number: str
    authority: str
    left_on: date
    reason: str


@dataclass
class PlannedException:
    placement: tuple  # PlannedPlacement.key
    signed_by_dcs: str
    signed_by_chief_executive: str
    reason: str
    valid_from: date
    valid_until: date


@dataclass
class Plan:
    workers: list[PlannedWorker]
    placements: list[PlannedPlacement]
    leavers: list[PlannedLeaver]
    exceptions: list[PlannedException]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _next_monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _eligible_agencies(start: date, end: date | None) -> dict:
    """Agencies that could have made this placement: none starts while its agency is suspended or removed."""
    weights = {}
    for name, _number, signed_on, _standing, _is_msp, _through, weight in AGENCIES:
        if start < signed_on:
            continue
        if name == REMOVED_AGENCY_NAME and (end is None or end > REMOVED_AGENCY_LAST_END):
            continue
        if name == SUSPENSION["agency"] and start >= SUSPENSION["starts_on"]:
            continue
        weights[name] = weight
    return weights


def make_plan(seed: int = SEED) -> Plan:
    rng = random.Random(seed)
    workers: list[PlannedWorker] = []
    placements: list[PlannedPlacement] = []
    used_numbers: set[str] = set()
    window = (LAST_START - DATA_START).days

    while len(placements) < PLACEMENT_COUNT:
        number = f"SW{rng.randrange(100000, 1000000)}"
        if number in used_numbers:
            continue
        used_numbers.add(number)
        worker = PlannedWorker(swe_number=number)
        role = _weighted(rng, ROLE_WEIGHTS)
        home = _weighted(rng, AUTHORITY_WEIGHTS)
        chain = rng.choice([1, 1, 1, 2, 2, 3])  # placements one after another, with gaps between them
        day = DATA_START + timedelta(days=rng.randrange(window))
        for _ in range(chain):
            start = _next_monday(day)
            if start > LAST_START or len(placements) == PLACEMENT_COUNT:
                break
            months = rng.randint(3, 18)
            end = add_months(start, months) - timedelta(days=1)
            stays_open = rng.random() < 0.6
            authority = home if rng.random() < 0.7 else _weighted(rng, AUTHORITY_WEIGHTS)
            engagement = _weighted(rng, ENGAGEMENT_WEIGHTS)
            project_team = rng.random() < 0.08
            below = rng.choice(["0", "0", "0", "0.25", "0.50", "0.50", "0.75", "1.00", "1.50", "2.00", "3.00"])
            on_cost_share = Decimal(rng.randint(10, 20)) / 100
            margin = money(rng.uniform(1.0, 4.0))
            uncapped_pay = money(rng.uniform(40.0, 52.0))
            excess = money(rng.uniform(0.5, 4.0))
            gap = rng.randrange(0, 120)
            if end > DATA_END and stays_open:
                end = None  # still running when the demo's world ends, no end date agreed
            agency = _weighted(rng, _eligible_agencies(start, end))
            placement = PlannedPlacement(
                swe_number=number,
                agency=agency,
                authority=authority,
                role=role,
                engagement_type=engagement,
                start_date=start,
                end_date=end,
                project_team=project_team,
                below_cap=Decimal(below),
                on_cost_share=on_cost_share,
                margin=margin,
                uncapped_pay=uncapped_pay,
                excess=excess,
            )
            worker.placements.append(placement)
            placements.append(placement)
            if end is None:
                break
            day = end + timedelta(days=1 + gap)
        if worker.placements:
            workers.append(worker)

    # About 4 % above the cap: the cases the audit should find (and, for some, a council's signed exception).
    capped = [p for p in placements if p.role != "SM"]
    over = rng.sample(capped, OVER_PAY_CAP_COUNT + OVER_CHARGE_CAP_COUNT)
    for i, placement in enumerate(over):
        placement.over_cap = "pay" if i < OVER_PAY_CAP_COUNT else "charge"

    juniors = _plan_qualifications(rng, workers)
    leavers = _plan_leavers(rng, [w for w in workers if w not in juniors])
    exceptions = _plan_exceptions(rng, over)
    return Plan(workers=workers, placements=placements, leavers=leavers, exceptions=exceptions)


def _plan_qualifications(rng: random.Random, workers: list[PlannedWorker]) -> list[PlannedWorker]:
    # Everybody has at least 3 years' experience at every placement, except a few newly qualified social workers
    # starting in 2025 (under the 3-year minimum of the national rules) and a few whose date isn't recorded.
    juniors_pool = [w for w in workers if w.placements[0].start_date.year == 2025 and w.placements[0].role == "SW"]
    juniors = rng.sample(juniors_pool, JUNIOR_WORKER_COUNT)
    unknown = rng.sample([w for w in workers if w not in juniors], UNKNOWN_QUALIFICATION_COUNT)
    for worker in workers:
        first_start = worker.placements[0].start_date
        if worker in juniors:
            worker.qualified_on = first_start - timedelta(days=rng.randint(400, 1000))
        elif worker in unknown:
            worker.qualified_on = None
        else:
            worker.qualified_on = first_start - timedelta(days=rng.randint(3 * 366 + 30, 25 * 365))
    return juniors


def _plan_leavers(rng: random.Random, workers: list[PlannedWorker]) -> list[PlannedLeaver]:
    """Permanent leavers: some within 12 months before the worker's first agency placement (cooling-off cases,
    some of them exempt), the others long enough before it that the rule doesn't apply."""
    pool = [w for w in workers if w.qualified_on is not None and w.placements[0].start_date >= date(2019, 6, 1)]
    chosen = rng.sample(pool, COOLING_OFF_LEAVER_COUNT + OLDER_LEAVER_COUNT)
    recent_reasons = ["resignation"] * 5 + ["other"] * 2 + ["redundancy"] * 3 + ["end_of_probation"] * 2
    older_reasons = ["resignation"] * 10 + ["other"] * 3 + ["redundancy"] * 3 + ["end_of_probation"] * 2
    leavers = []
    for i, worker in enumerate(chosen):
        first = worker.placements[0]
        if i < COOLING_OFF_LEAVER_COUNT:
            left_on = first.start_date - timedelta(days=rng.randint(14, 330))
            reason = recent_reasons[i]
            authority = first.authority if rng.random() < 0.5 else _weighted(rng, AUTHORITY_WEIGHTS)
        else:
            left_on = first.start_date - timedelta(days=rng.randint(400, 1500))
            reason = older_reasons[i - COOLING_OFF_LEAVER_COUNT]
            authority = _weighted(rng, AUTHORITY_WEIGHTS)
        # Nobody leaves a social work post before qualifying.
        worker.qualified_on = min(worker.qualified_on, left_on - timedelta(days=365))
        leavers.append(PlannedLeaver(worker.swe_number, authority, left_on, reason))
    return leavers


def _plan_exceptions(rng: random.Random, over: list[PlannedPlacement]) -> list[PlannedException]:
    """Cap exceptions for some of the over-cap placements, each covering only part of the placement."""
    exceptions = []
    for placement in rng.sample(over, CAP_EXCEPTION_COUNT):
        dcs, chief = rng.choice(SIGNATORIES)
        valid_from = placement.start_date + timedelta(weeks=rng.randint(0, 4))
        days = (placement.last_day - valid_from).days
        valid_until = valid_from + timedelta(days=max(7, days * rng.randint(30, 70) // 100))
        exceptions.append(
            PlannedException(
                placement=placement.key,
                signed_by_dcs=dcs,
                signed_by_chief_executive=chief,
                reason=rng.choice(EXCEPTION_REASONS),
                valid_from=valid_from,
                valid_until=valid_until,
            )
        )
    return exceptions
