"""What the dashboards read: a handful of GROUP BY queries over the pre-computed summaries (never the timesheet
lines) and over breach cases, whatever the number of rows. Averages are hours-weighted: the rate paid per hour worked.

Rates and cost read `MonthlyRates`, one authority's rows or the region's (at most months × roles × engagement types
rows each); compliance reads `AgencyLines`.

`Selection.authority` None means the whole region. Views decide which authorities a user may choose
(`dashboards.forms`): a council its own or the region's totals, the coordinator and analysts any.

**Disclosure** (`futuresocial.disclosure`): a figure a reader outside its scope reads (a council, the region's) adds
up only the MonthlyRates rows resting on at least 3 placements and 3 authorities (`_added_up`), so that no difference
between two figures shown (a period and a shorter one, every engagement type and two of them, a month's spend and its
roles') isolates a small row; a figure with no such row is withheld. Each query counts its large rows (`SIZES`) with
its sums; a withheld figure carries no measure at all (`RateStats.withheld`, `None` work), so neither a table, a
chart nor an export can show it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Aggregate, Avg, Count, DurationField, F, Max, Min, Q, Sum

from compliance.models import Breach
from dashboards.models import AgencyLines, MonthlyRates
from futuresocial.cost import RoleWork
from futuresocial.disclosure import LARGE_ENOUGH, MIN_AUTHORITIES, MIN_PLACEMENTS, reads_from_outside
from futuresocial.money import PENNY
from futuresocial.scoping import visible_to
from mou.models import Cap, MouVersion
from mou.rules import add_months
from workforce.selectors import region_workforce_newest

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Selection:
    authority: object = None  # an Authority, or None for the region
    start: date | None = None  # first month shown (a first of the month)
    end: date | None = None  # last month shown
    role: object = None  # a Role, or None for every role
    engagement_type: str | None = None


def _summaries(selection: Selection, *, with_role=True, authorities: list[int] | None = None):
    """The selection's MonthlyRates rows: its authority's, or the region's totals (authority NULL); or, given
    `authorities` (ids), those authorities' rows."""
    if authorities is not None:
        rows = MonthlyRates.objects.filter(authority__in=authorities)
    else:
        rows = MonthlyRates.objects.filter(authority=selection.authority)
    if selection.start:
        rows = rows.filter(month__gte=selection.start)
    if selection.end:
        rows = rows.filter(month__lte=selection.end)
    if with_role and selection.role is not None:
        rows = rows.filter(role=selection.role)
    if selection.engagement_type:
        rows = rows.filter(engagement_type=selection.engagement_type)
    return rows


# Named apart from the summary's own columns (an aggregate may not reuse a column's name that another one reads).
SUMS = dict(
    line_count=Sum("lines"),
    hours_worked=Sum("hours"),
    above_pay=Sum("hours_above_pay_cap"),
    above_charge=Sum("hours_above_charge_cap"),
    pay_amount=Sum("pay_amount"),
    charge_amount=Sum("charge_amount"),
    pay_squares=Sum("pay_squares"),
    charge_squares=Sum("charge_squares"),
    min_pay=Min("min_pay_rate"),
    max_pay=Max("max_pay_rate"),
    min_charge=Min("min_charge_rate"),
    max_charge=Max("max_charge_rate"),
)
# How many of the rows a figure adds up are large enough to show outside their scope (see the module's docstring).
SIZES = dict(large_rows=Count("pk", filter=LARGE_ENOUGH))


def _added_up(aggregates: dict, *, user, authority_id) -> dict:
    """`aggregates` as `user` may read them: over every row from inside their scope (the coordinator and analysts;
    a council its own authority's rows), else over the large rows only."""
    if not reads_from_outside(user, authority_id=authority_id):
        return aggregates
    limited = {}
    for name, aggregate in aggregates.items():
        aggregate = aggregate.copy()
        aggregate.filter = LARGE_ENOUGH if aggregate.filter is None else aggregate.filter & LARGE_ENOUGH
        limited[name] = aggregate
    return limited


def _large_only(user) -> str:
    """What a source says of the region's figures read from outside."""
    if not reads_from_outside(user, authority_id=None):
        return ""
    return f" (only groups of at least {MIN_PLACEMENTS} placements and {MIN_AUTHORITIES} authorities)"


def _withheld(row: dict, *, user, authority_id) -> bool:
    """Whether the figure of `row` (a query's row with `SIZES`) is withheld from `user`: read from outside its scope
    with no row large enough to add up."""
    return reads_from_outside(user, authority_id=authority_id) and not row["large_rows"]


def _mean(amount, hours):
    return (amount / hours).quantize(PENNY, rounding=ROUND_HALF_UP) if hours else None


def _sd(amount, squares, hours):
    """Hours-weighted standard deviation: sqrt(E[x²] − E[x]²), exact in Decimal until the square root."""
    if not hours:
        return None
    mean = amount / hours
    variance = squares / hours - mean * mean
    return max(variance, Decimal(0)).sqrt().quantize(PENNY, rounding=ROUND_HALF_UP)


def _share(part, whole):
    return (Decimal(100) * part / whole).quantize(TENTH, rounding=ROUND_HALF_UP) if whole else None


@dataclass(frozen=True)
class RateStats:
    """A selection's rates, from the summaries' sums."""

    line_count: int
    hours_worked: Decimal
    above_pay: Decimal
    above_charge: Decimal
    pay_amount: Decimal
    charge_amount: Decimal
    pay_squares: Decimal
    charge_squares: Decimal
    min_pay: Decimal
    max_pay: Decimal
    min_charge: Decimal
    max_charge: Decimal
    withheld: bool = False  # from this reader (futuresocial.disclosure): every measure is None

    @classmethod
    def of(cls, row: dict, *, user, authority_id) -> "RateStats":
        if _withheld(row, user=user, authority_id=authority_id):
            return cls(**dict.fromkeys(SUMS), withheld=True)
        return cls(**{name: row[name] for name in SUMS})

    @property
    def average_pay(self):
        return _mean(self.pay_amount, self.hours_worked)

    @property
    def average_charge(self):
        return _mean(self.charge_amount, self.hours_worked)

    @property
    def spread_pay(self):
        return _sd(self.pay_amount, self.pay_squares, self.hours_worked)

    @property
    def spread_charge(self):
        return _sd(self.charge_amount, self.charge_squares, self.hours_worked)

    @property
    def share_above_pay_cap(self):
        return _share(self.above_pay, self.hours_worked)

    @property
    def share_above_charge_cap(self):
        return _share(self.above_charge, self.hours_worked)


def every_month(first: date, last: date) -> list[date]:
    """The first days of the months from `first` to `last`: a month without timesheets is a gap in a chart, never
    a line drawn across it."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def _authority_id(selection: Selection):
    return selection.authority.pk if selection.authority is not None else None


def rates_by_month(selection: Selection, *, user) -> list[tuple[date, RateStats | None]]:
    """Month by month from the first month with timesheets to the last; None for a month without. A month withheld
    from `user` (see the module's docstring) is there, `withheld`."""
    authority_id = _authority_id(selection)
    rows = {
        row["month"]: RateStats.of(row, user=user, authority_id=authority_id)
        for row in _summaries(selection)
        .values("month")
        .annotate(**_added_up(SUMS, user=user, authority_id=authority_id), **SIZES)
    }
    if not rows:
        return []
    return [(month, rows.get(month)) for month in every_month(min(rows), max(rows))]


def rates_by_role(selection: Selection, *, user) -> dict[int, RateStats]:
    """Every role's rates in the selection (whatever role it names), over its whole period (from outside, over its
    large rows)."""
    authority_id = _authority_id(selection)
    sums = _added_up(SUMS, user=user, authority_id=authority_id)
    rows = _summaries(selection, with_role=False).values("role").annotate(**sums, **SIZES).order_by("role")
    return {row["role"]: RateStats.of(row, user=user, authority_id=authority_id) for row in rows}


@dataclass(frozen=True)
class CapStep:
    version: MouVersion
    max_pay_rate: Decimal | None
    max_charge_rate: Decimal | None


def cap_history(*, role, engagement_type: str | None) -> list[CapStep]:
    """The role's caps in each published version, oldest first. For one engagement type, the cap that applies to it
    (its own, else the version's any-engagement cap, as `mou.selectors.cap_for` chooses); for all of them, the
    any-engagement cap, else the lowest of the engagement-specific ones."""
    caps = (
        Cap.objects.filter(role=role, role__capped=True, version__in=MouVersion.objects.published())
        .select_related("version")
        .order_by("version__effective_from", F("engagement_type").asc(nulls_last=True))
    )
    by_version: dict[int, list[Cap]] = {}
    for cap in caps:
        by_version.setdefault(cap.version_id, []).append(cap)
    steps = []
    for version_caps in by_version.values():
        if engagement_type:
            chosen = [c for c in version_caps if c.engagement_type == engagement_type] or [
                c for c in version_caps if c.engagement_type is None
            ]
        else:
            chosen = [c for c in version_caps if c.engagement_type is None] or version_caps
        if not chosen:
            continue
        pay = min(c.max_pay_rate for c in chosen)
        charges = [c.max_charge_rate for c in chosen if c.max_charge_rate is not None]
        steps.append(CapStep(version=chosen[0].version, max_pay_rate=pay, max_charge_rate=min(charges, default=None)))
    return steps


# --- Cost -----------------------------------------------------------------------------------------------------------

COST_SUMS = dict(
    hours_worked=Sum("hours"),
    charged=Sum("charge_amount"),
    hours_under_caps=Sum("hours", filter=Q(before_caps=False), default=Decimal(0)),
    charged_under_caps=Sum("charge_amount", filter=Q(before_caps=False), default=Decimal(0)),
)


def _role_work(row, capped: dict[int, bool]) -> RoleWork:
    return RoleWork(
        role_id=row["role"],
        capped=capped.get(row["role"], False),
        hours=row["hours_worked"],
        charged=row["charged"],
        hours_under_caps=row["hours_under_caps"],
        charged_under_caps=row["charged_under_caps"],
    )


def work_by_month(selection: Selection, *, capped: dict[int, bool], user) -> dict[date, list[RoleWork] | None]:
    """Each month's agency work (hours and charges) by role, for spend and what-it-would-have-cost: every month from
    the first with timesheets to the last (a month without any has no work: nothing was charged). Read from outside,
    a month adds up its large rows; None for a month with none (see the module's docstring)."""
    authority_id = _authority_id(selection)
    months: dict[date, list[RoleWork]] = {}
    shown = set()
    sums = _added_up(COST_SUMS, user=user, authority_id=authority_id)
    rows = _summaries(selection).values("month", "role").annotate(**sums, **SIZES).order_by("month", "role")
    for row in rows:
        months.setdefault(row["month"], [])
        if not _withheld(row, user=user, authority_id=authority_id):
            months[row["month"]].append(_role_work(row, capped))
            shown.add(row["month"])
    withheld = set(months) - shown
    if not months:
        return {}
    return {
        month: None if month in withheld else months.get(month, []) for month in every_month(min(months), max(months))
    }


def work_by_authority(
    selection: Selection, *, capped: dict[int, bool], authorities: list[int], user
) -> dict[int | None, list[RoleWork] | None]:
    """The agency work by role of each authority in `authorities` (ids), over the selection's period and engagement
    type; under key None the region's total (its own rows, so that a council's page, which asks for its own
    authority only, reads no other authority's figures). Read from outside, a total adds up its large rows; None for
    one with none (see the module's docstring)."""
    work: dict[int | None, list[RoleWork]] = {}
    shown = set()
    period = Selection(start=selection.start, end=selection.end, engagement_type=selection.engagement_type)
    # One query for the authorities asked for: over the large rows if any of them is read from outside.
    outside = [a for a in authorities if reads_from_outside(user, authority_id=a)]
    sums = _added_up(COST_SUMS, user=user, authority_id=outside[0]) if outside else COST_SUMS
    rows = _summaries(period, authorities=authorities)
    for row in rows.values("authority", "role").annotate(**sums, **SIZES).order_by("authority", "role"):
        work.setdefault(row["authority"], [])
        if not _withheld(row, user=user, authority_id=row["authority"]):
            work[row["authority"]].append(_role_work(row, capped))
            shown.add(row["authority"])
    region_sums = _added_up(COST_SUMS, user=user, authority_id=None)
    for row in _summaries(period).values("role").annotate(**region_sums, **SIZES).order_by("role"):  # the region's
        work.setdefault(None, [])
        if not _withheld(row, user=user, authority_id=None):
            work[None].append(_role_work(row, capped))
            shown.add(None)
    return {key: one if key in shown else None for key, one in work.items()}


def pre_cap_rates(*, user) -> dict[int, Decimal | None]:
    """Each capped role's average hourly charge rate in the region before the caps: over its work that no MoU version
    binds (days before the first version's effective date). Empty when the data hold no such work. Read from
    outside, over the large rows; None for a role's rate with none (see the module's docstring)."""
    sums = _added_up(dict(hours_worked=Sum("hours"), charged=Sum("charge_amount")), user=user, authority_id=None)
    rows = (
        MonthlyRates.objects.filter(authority=None, before_caps=True, role__capped=True)
        .values("role")
        .annotate(**sums, **SIZES)
        .order_by("role")
    )
    return {
        row["role"]: None
        if _withheld(row, user=user, authority_id=None)
        else _mean(row["charged"], row["hours_worked"])
        for row in rows
        if row["hours_worked"] or _withheld(row, user=user, authority_id=None)
    }


# --- Compliance by agency -------------------------------------------------------------------------------------------


class Median(Aggregate):
    """percentile_cont(0.5): PostgreSQL interpolates between the two middle values of an even count."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def breaches_by_agency(*, user, authority=None) -> dict[int, dict]:
    """Per agency: cases by rule and by status, serious ones, total excess £ and how long closed cases took (from
    detection to resolution or dismissal). The cases `user` may see, at `authority` if one is given. A dismissed case
    was not a breach after all: counted among the cases (and by status), its excess is not in the total."""
    cases = visible_to(Breach.objects.all(), user)
    if authority is not None:
        cases = cases.filter(authority=authority)
    closed = Q(status__in=Breach.CLOSED_STATUSES, closed_at__isnull=False)
    time_to_close = F("closed_at") - F("detected_at")
    rows = (
        cases.values("agency")
        .annotate(
            cases=Count("id"),
            unresolved=Count("id", filter=~Q(status__in=Breach.CLOSED_STATUSES)),
            serious=Count("id", filter=Q(severity=Breach.Severity.SERIOUS)),
            excess=Sum("excess_amount", filter=~Q(status=Breach.Status.DISMISSED)),
            closed=Count("id", filter=closed),
            median_to_close=Median(time_to_close, filter=closed),
            mean_to_close=Avg(time_to_close, filter=closed, output_field=DurationField()),
            **{f"rule_{rule}": Count("id", filter=Q(rule=rule)) for rule in Breach.Rule.values},
            **{f"status_{status}": Count("id", filter=Q(status=status)) for status in Breach.Status.values},
        )
        .order_by("agency")
    )
    return {row["agency"]: row for row in rows}


def lines_by_agency(*, user, authority=None) -> dict[int, int]:
    """Current timesheet lines per agency, at the authorities `user` may see (at `authority` if one is given)."""
    rows = visible_to(AgencyLines.objects.all(), user)
    if authority is not None:
        rows = rows.filter(authority=authority)
    rows = rows.values("agency").annotate(line_count=Sum("lines")).order_by("agency")
    return dict(rows.values_list("agency", "line_count"))


def days(interval: timedelta | None) -> Decimal | None:
    if interval is None:
        return None
    return (Decimal(interval.total_seconds()) / 86400).quantize(TENTH, rounding=ROUND_HALF_UP)


# --- The cost-benefit model's inputs from the region's own figures ---------------------------------------------------


def _series(value) -> tuple:
    return (value,) * 6


def cost_benefit_region_figures(*, user) -> tuple[dict[str, tuple[object, str]], set[str]]:
    """({input name: (value, where it came from)}, names withheld) for what the product knows of the region: the
    workforce (the councils' returns, else the official statistics), the average agency charge rate (the
    timesheets), and the MoU's effect (charge rates under the caps against those before the first version). Inputs
    the product holds nothing for (programme costs, looked after children) are left out: they keep the evaluation's
    figures. A figure from the timesheets read from outside adds up its large groups only; one with none is withheld
    from `user` (see the module's docstring) and left out too, its name in the second part: the model uses the
    evaluation's figure instead."""
    figures: dict[str, tuple[object, str]] = {}
    withheld: set[str] = set()
    for found in region_workforce_newest(user=user):
        if found.employed_fte is not None:
            figures.setdefault("social_workers", (found.employed_fte, found.source))
        if found.agency_fte is not None:
            figures.setdefault("agency_workers", (found.agency_fte, found.source))
        # Without and with the programme alike: a change is what the user types, never a gap between two sources.
        for name, rate in (("turnover", found.turnover_rate), ("absence", found.absence_rate)):
            if rate is not None and f"{name}_rate_without" not in figures:
                figures[f"{name}_rate_without"] = (_series(rate), found.source)
                figures[f"{name}_rate_with"] = (_series(rate), found.source)

    region = MonthlyRates.objects.filter(authority=None)
    sums = _added_up(dict(hours_worked=Sum("hours"), charged=Sum("charge_amount")), user=user, authority_id=None)
    spent = region.aggregate(**sums, first=Min("month"), last=Max("month"), **SIZES)
    if spent["first"] and _withheld(spent, user=user, authority_id=None):
        withheld.add("hourly_rate")
    elif spent["hours_worked"]:
        figures["hourly_rate"] = (
            _mean(spent["charged"], spent["hours_worked"]),
            f"the timesheets: the average hourly charge rate over {spent['hours_worked']:,} hours, "
            f"{spent['first']:%B %Y} to {spent['last']:%B %Y}{_large_only(user)}",
        )

    # Over the capped roles whose rates before the caps can be read; from outside, their large rows under the caps.
    before_caps = pre_cap_rates(user=user)
    before = {role: rate for role, rate in before_caps.items() if rate is not None}
    under = [
        row
        for row in region.filter(before_caps=False, role_id__in=list(before))
        .values("role")
        .annotate(**sums, **SIZES)
        .order_by("role")
        if row["hours_worked"]
    ]
    at_pre_cap = sum((row["hours_worked"] * before[row["role"]] for row in under), Decimal(0))
    charged = sum((row["charged"] for row in under), Decimal(0))
    if before_caps and not at_pre_cap and reads_from_outside(user, authority_id=None):
        withheld.add("mou_saving")
    elif at_pre_cap:
        figures["mou_saving"] = (
            ((at_pre_cap - charged) / at_pre_cap * 100).quantize(TENTH, rounding=ROUND_HALF_UP),
            "the timesheets: capped roles' work under the caps, charged at their rates against the same hours at "
            f"each role's average charge rate before the first MoU version{_large_only(user)}",
        )
    return figures, withheld
