"""Reading for the pages: the qualification dates agencies claim, where they disagree; a stored week's lines over
the cap."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Min

from mou.selectors import cap_check
from placements.models import Placement, Worker


@dataclass
class Claim:
    agency: str
    qualified_on: date
    placements: int
    first_start: date


@dataclass
class ClaimsConflict:
    worker: Worker
    claims: list[Claim] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        """The coordinator has verified a date: it judges every placement of the worker, whatever each agency says."""
        return self.worker.verified_qualified_on is not None


def qualification_conflicts(*, unsettled_only: bool = False):
    """Workers for whom agencies' claimed qualification dates disagree (two or more different dates), with each
    agency's claim, newest registration numbers last. For the coordinator only: it names every agency's claim."""
    workers = (
        Worker.objects.annotate(
            dates=Count("placements__worker_qualified_on", distinct=True),
        )
        .filter(dates__gt=1)
        .select_related("qualified_on_verified_by")
        .order_by("swe_number")
    )
    if unsettled_only:
        workers = workers.filter(verified_qualified_on__isnull=True)
    return workers


def claims_of(workers) -> list[ClaimsConflict]:
    """Each worker of a page with the claims made about them, agency by agency (one query)."""
    workers = list(workers)
    rows = (
        Placement.objects.filter(worker__in=workers, worker_qualified_on__isnull=False)
        .values("worker_id", "agency__name", "worker_qualified_on")
        .annotate(placements=Count("id"), first_start=Min("start_date"))
        .order_by("worker_id", "worker_qualified_on", "agency__name")
    )
    by_worker = {worker.pk: ClaimsConflict(worker=worker) for worker in workers}
    for row in rows:
        by_worker[row["worker_id"]].claims.append(
            Claim(
                agency=row["agency__name"],
                qualified_on=row["worker_qualified_on"],
                placements=row["placements"],
                first_start=row["first_start"],
            )
        )
    return [by_worker[worker.pk] for worker in workers]


@dataclass(frozen=True)
class LineOverCap:
    day: date
    hours: Decimal
    pay_excess: Decimal
    charge_excess: Decimal
    max_pay_rate: Decimal | None
    max_charge_rate: Decimal | None


def lines_over_cap(timesheet) -> list[LineOverCap]:
    """The current lines of a week above the cap that binds each day (the audit's rule, day by day, through
    `cap_check`): what the agency is told when it stores the week, before the audit opens the case."""
    placement = timesheet.placement
    over = []
    for line in timesheet.current_lines().order_by("date"):
        check = cap_check(
            role=placement.role,
            on=line.date,
            started_on=placement.start_date,
            pay_rate=line.pay_rate,
            charge_rate=line.charge_rate,
            engagement_type=placement.engagement_type,
            on_costs=placement.on_costs,
        )
        if not check.within_cap:
            over.append(
                LineOverCap(
                    day=line.date,
                    hours=line.hours,
                    pay_excess=check.pay_excess,
                    charge_excess=check.charge_excess,
                    max_pay_rate=check.applicable.max_pay_rate,
                    max_charge_rate=check.applicable.max_charge_rate,
                )
            )
    return over
