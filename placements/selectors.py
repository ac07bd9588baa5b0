"""Reading for the pages: the qualification dates agencies claim, where they disagree; a stored week's lines over
the cap."""

from dataclasses import dataclass, field
from datetime import date, timedelta
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


# --- Days a resubmission drops ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DroppedWeek:
    """The days one resubmitted week no longer has, as the upload page names them."""

    placement: Placement
    week_starting: date
    days: list[date]
    hours: Decimal

    @property
    def days_text(self) -> str:
        """ "Monday 3 Nov and Tuesday 4 Nov"."""
        named = [f"{day:%A} {day.day} {day:%b}" for day in self.days]
        return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"

    @property
    def hours_text(self) -> str:
        """ "15 hours", "7.5 hours", "1 hour"."""
        text = f"{self.hours:f}".rstrip("0").rstrip(".") if "." in f"{self.hours:f}" else f"{self.hours:f}"
        return f"{text} hour{'' if text == '1' else 's'}"


def dropped_weeks(result) -> list[DroppedWeek]:
    """The weeks an upload's result drops days from (its `dropped_lines`, up to the listed ones), with their
    placements' worker and council: one query."""
    weeks: dict[tuple[int, date], list] = {}
    for line in result.dropped_lines:
        weeks.setdefault((line.placement_id, line.week_ending), []).append(line)
    placements = Placement.objects.select_related("worker", "authority").in_bulk({pk for pk, _week in weeks})
    return [
        DroppedWeek(
            placement=placements[placement_id],
            week_starting=week_ending - timedelta(days=6),
            days=sorted(line.date for line in lines),
            hours=sum((line.hours for line in lines), Decimal(0)),
        )
        for (placement_id, week_ending), lines in sorted(weeks.items())
        if placement_id in placements
    ]
