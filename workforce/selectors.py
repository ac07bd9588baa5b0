"""The workforce figures the dashboards and `stats/workforce/` read: series of the three rates over time, for one
authority or the region, from the official statistics or from the councils' own returns (SPEC §3, §5, §7).

- **Official (DfE)**: the published rates, as published. A period appears in several releases (a later file revises
  earlier years): the newest release that has the period wins. A suppressed rate (`u`, `x`, `c`, `z`, `low`) is
  None with its code in `suppressed`, never 0. The region is the deployment's region's published row; for a period
  without one, its authorities' FTEs are summed and the rates derived (a suppressed input suppresses the sum's rate).
  England and every region are their published rows (`official_area_series`), to read beside the region.
- **Council returns**: an authority's own returns, rates derived (SPEC §3); the region sums the FTEs of the
  authorities that made a return for the period end (`authorities` says how many), then derives the rates.

Who may read what: official statistics are public (DfE, Open Government Licence): any signed-in user. Returns: the
coordinator and analysts any; a council its own authority's and the region's sums, which are withheld (code `c`)
for a period with fewer than `MIN_AUTHORITIES_IN_A_SUM` authorities, where the sum would give another council's
figures away (the one disclosure rule, `futuresocial.disclosure`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, F, Max, Q, Sum

from futuresocial.disclosure import MIN_AUTHORITIES, WITHHELD, WITHHELD_LABEL, withheld_from
from futuresocial.scoping import visible_to
from region import selectors as region_selectors
from region.areas import ENGLAND, REGIONS
from region.models import Authority
from workforce.models import OfficialFigure, WorkforceRates, WorkforceReturn

WEST_MIDLANDS = region_selectors.WEST_MIDLANDS.code  # the default region's ONS code, as the tests and the demo name it
RATES = ("agency_rate", "turnover_rate", "vacancy_rate")
# The FTEs behind each rate: a suppressed one suppresses the rate derived from it.
RATE_INPUTS = {
    "agency_rate": ("agency_fte", "employed_fte"),
    "turnover_rate": ("leavers_fte", "employed_fte"),
    "vacancy_rate": ("vacancies_fte", "employed_fte"),
}
MIN_AUTHORITIES_IN_A_SUM = MIN_AUTHORITIES  # the one disclosure rule's (futuresocial.disclosure)
NOT_AVAILABLE = "x"  # DfE's code for a figure not available (here: an authority's row missing from a sum)
NOT_APPLICABLE = "z"  # DfE's code for a rate that has no meaning (nobody employed, nothing to divide by)

SUPPRESSION_CODES = {
    "u": "low reliability",
    "x": "not available",
    WITHHELD: WITHHELD_LABEL,
    "z": "not applicable",
    "low": "too small to publish",
}


class Source(models.TextChoices):
    OFFICIAL = "official", "official (DfE)"
    RETURNS = "returns", "council returns"


@dataclass
class WorkforcePoint:
    """The three rates (percentages to one decimal place) at one period end; None is a gap, explained in
    `suppressed` (rate name → code)."""

    period_end: date
    agency_rate: Decimal | None
    turnover_rate: Decimal | None
    vacancy_rate: Decimal | None
    suppressed: dict = field(default_factory=dict)
    authorities: int | None = None  # a sum of authorities' figures: how many are in it
    release: str = ""  # official figures: the statistics file they come from

    def rate(self, name):
        return getattr(self, name)


@dataclass
class Totals(WorkforceRates):
    """FTEs summed over authorities, with the same derived rates as a return."""

    employed_fte: Decimal | None
    agency_fte: Decimal | None
    vacancies_fte: Decimal | None
    leavers_fte: Decimal | None


def _derived_point(period_end, figures: WorkforceRates, *, suppressed_inputs=None, **extra) -> WorkforcePoint:
    """Rates derived from FTEs; a rate that cannot be derived is None with the code of the input that is missing."""
    suppressed_inputs = suppressed_inputs or {}
    values, suppressed = {}, {}
    for rate in RATES:
        values[rate] = getattr(figures, rate)
        if values[rate] is None:
            codes = [suppressed_inputs[name] for name in RATE_INPUTS[rate] if suppressed_inputs.get(name)]
            suppressed[rate] = codes[0] if codes else NOT_APPLICABLE
    return WorkforcePoint(period_end=period_end, suppressed=suppressed, **values, **extra)


# --- Official statistics ---------------------------------------------------------------------------------------------


def newest_figures(figures) -> dict:
    """{(area_code, period_end): figure}, keeping for each the newest release that has it (the release whose latest
    year is the latest; a later file revises earlier years)."""
    # Over the whole table, not just these rows: an authority's rows may stop before its release does.
    latest_year = dict(OfficialFigure.objects.values_list("release").annotate(latest=Max("year")).order_by())
    chosen = {}
    for figure in sorted(figures, key=lambda f: (latest_year[f.release], f.release)):
        chosen[figure.area_code, figure.period_end] = figure  # newer releases overwrite older ones
    return chosen


def official_point(figure: OfficialFigure) -> WorkforcePoint:
    """The published rates of one row; a rate the file leaves out (not suppressed) is derived from its FTEs."""
    values, suppressed = {}, {}
    for rate in RATES:
        published = getattr(figure, f"published_{rate}")
        code = figure.suppressed.get(f"published_{rate}")
        if published is None and not code:
            published = getattr(figure, rate)
            if published is None:
                inputs = [figure.suppressed.get(name) for name in RATE_INPUTS[rate]]
                code = next((c for c in inputs if c), NOT_AVAILABLE)
        values[rate] = published
        if published is None:
            suppressed[rate] = code
    return WorkforcePoint(period_end=figure.period_end, suppressed=suppressed, release=figure.release, **values)


def _sum_official(period_end, figures: list, authorities: int) -> WorkforcePoint:
    """The region from its authorities' rows, when no regional row is published for the period."""
    totals, codes = {}, {}
    for name in ("employed_fte", "agency_fte", "vacancies_fte", "leavers_fte"):
        values = [getattr(figure, name) for figure in figures]
        if len(figures) < authorities or None in values:
            totals[name] = None
            codes[name] = next((f.suppressed.get(name) for f in figures if f.suppressed.get(name)), NOT_AVAILABLE)
        else:
            totals[name] = sum(values, Decimal(0))
    return _derived_point(period_end, Totals(**totals), suppressed_inputs=codes, authorities=len(figures))


def official_series(*, authority: Authority | None = None) -> list[WorkforcePoint]:
    """An authority's official rates by period end, or the region's (published row, else the sum of its authorities)."""
    if authority is not None:
        figures = newest_figures(OfficialFigure.objects.filter(authority=authority))
        return [official_point(figure) for _, figure in sorted(figures.items(), key=lambda item: item[0][1])]
    return official_region_beside(areas=())[0]


def official_region_beside(*, areas) -> tuple[list[WorkforcePoint], dict[str, list[WorkforcePoint]]]:
    """The region's official rates by period end, and beside them those of `areas` (England, other regions: ONS
    codes) as published, {code: points}. One query for all of them, however many areas."""
    region = region_selectors.deployment_region().code
    figures = newest_figures(
        OfficialFigure.objects.filter(
            Q(level__in=(OfficialFigure.Level.REGIONAL, OfficialFigure.Level.NATIONAL), area_code__in={region, *areas})
            | Q(level=OfficialFigure.Level.LOCAL_AUTHORITY, authority__isnull=False)
        )
    )
    regional, by_period, beside = {}, defaultdict(list), {code: [] for code in areas}
    for (area_code, period_end), figure in sorted(figures.items(), key=lambda item: item[0][1]):
        if figure.level == OfficialFigure.Level.LOCAL_AUTHORITY:
            by_period[period_end].append(figure)
            continue
        if area_code == region:
            regional[period_end] = figure
        if area_code in beside:
            beside[area_code].append(official_point(figure))
    count = Authority.objects.count()
    series = [
        official_point(regional[period_end])
        if period_end in regional
        else _sum_official(period_end, by_period[period_end], count)
        for period_end in sorted(regional.keys() | by_period.keys())
    ]
    return series, beside


AREAS = {ENGLAND: "England", **REGIONS}  # the areas whose published rows are read as they are


def official_area_series(*, code: str) -> list[WorkforcePoint]:
    """England's or a region's published rates by period end (`AREAS`), as published, never a sum."""
    figures = newest_figures(
        OfficialFigure.objects.filter(
            level__in=(OfficialFigure.Level.REGIONAL, OfficialFigure.Level.NATIONAL), area_code=code
        )
    )
    return [official_point(figure) for _, figure in sorted(figures.items(), key=lambda item: item[0][1])]


def official_by_authority(*, period_end: date) -> dict[int, WorkforcePoint]:
    """{authority id: its official rates} for one period end (every authority: they are public statistics)."""
    figures = newest_figures(OfficialFigure.objects.filter(authority__isnull=False, period_end=period_end))
    return {figure.authority_id: official_point(figure) for figure in figures.values()}


def official_periods() -> list[date]:
    """Period ends with official figures for the authorities, newest first."""
    return list(
        OfficialFigure.objects.filter(authority__isnull=False)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .distinct()
    )


# --- Council returns -------------------------------------------------------------------------------------------------


def trend_areas(user, authorities=None) -> list[Authority]:
    """The authorities whose trends page `user` may open: all of them for the coordinator and analysts, a council its
    own, an agency none. `authorities`: all of them, when the caller has them already."""
    if not (user.is_regional or (user.is_council and user.authority_id)):
        return []
    authorities = list(Authority.objects.order_by("name")) if authorities is None else authorities
    return [a for a in authorities if user.is_regional or a.pk == user.authority_id]


def may_read_returns(user, authority: Authority | None) -> bool:
    """Regional users read every authority's returns; a council its own and the region's sums; agencies none."""
    if user.is_regional:
        return True
    if user.is_council:
        return authority is None or authority.pk == user.authority_id
    return False


def return_point(workforce_return: WorkforceReturn) -> WorkforcePoint:
    return _derived_point(workforce_return.period_end, workforce_return)


def _region_sums():
    # One query: the FTEs of every return, summed per period end (the index of the unique (authority, period_end)
    # constraint does not help a whole-table sum; it is a few hundred rows).
    return (
        WorkforceReturn.objects.values("period_end")
        .annotate(
            employed_fte=Sum("permanent_fte"),
            agency_fte=Sum("agency_fte"),
            vacancies_fte=Sum("vacancies_fte"),
            leavers_fte=Sum("leavers_fte"),
            authorities=Count("authority"),
        )
        .order_by("period_end")
    )


def _region_point(row, *, user) -> WorkforcePoint:
    if withheld_from(user, authorities=row["authorities"]):
        return WorkforcePoint(
            period_end=row["period_end"],
            agency_rate=None,
            turnover_rate=None,
            vacancy_rate=None,
            suppressed=dict.fromkeys(RATES, WITHHELD),
            authorities=row["authorities"],
        )
    totals = Totals(**{name: row[name] for name in ("employed_fte", "agency_fte", "vacancies_fte", "leavers_fte")})
    return _derived_point(row["period_end"], totals, authorities=row["authorities"])


def returns_series(*, authority: Authority | None = None, user) -> list[WorkforcePoint]:
    """An authority's returns by period end, or the region's sums; PermissionDenied for a reader who may not."""
    if not may_read_returns(user, authority):
        raise PermissionDenied("Only the coordinator and analysts read another authority's returns.")
    if authority is None:
        return [_region_point(row, user=user) for row in _region_sums()]
    returns = visible_to(WorkforceReturn.objects.filter(authority=authority), user).order_by("period_end")
    return [return_point(workforce_return) for workforce_return in returns]


def region_returns_point(*, period_end: date, user) -> WorkforcePoint | None:
    row = _region_sums().filter(period_end=period_end).first()
    return _region_point(row, user=user) if row else None


def returns_periods(user) -> list[date]:
    """Period ends with returns the user may read (a council: its own), newest first."""
    return list(
        visible_to(WorkforceReturn.objects.all(), user)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .distinct()
    )


def returns_by_authority(*, period_end: date, user) -> dict[int, WorkforcePoint]:
    """{authority id: rates of its return} for one period end, among the returns the user may see."""
    returns = visible_to(WorkforceReturn.objects.filter(period_end=period_end), user)
    return {workforce_return.authority_id: return_point(workforce_return) for workforce_return in returns}


def workforce_series(
    *, authority: Authority | None, source: str, user, area: str | None = None
) -> list[WorkforcePoint]:
    """`area`: England or a region by ONS code (`AREAS`), official figures only."""
    if area is not None:
        return official_area_series(code=area)
    if source == Source.RETURNS:
        return returns_series(authority=authority, user=user)
    return official_series(authority=authority)


# --- The region's newest figures, for the cost-benefit model ---------------------------------------------------------


@dataclass
class RegionWorkforce:
    """The region's workforce at one period end: FTEs, turnover and absence (%), and where they come from."""

    period_end: date
    employed_fte: Decimal | None
    agency_fte: Decimal | None
    turnover_rate: Decimal | None
    absence_rate: Decimal | None
    source: str


def _newest_region_returns(*, user) -> RegionWorkforce | None:
    readable = [row for row in _region_sums() if not withheld_from(user, authorities=row["authorities"])]
    if not readable:
        return None
    row = readable[-1]
    # Absence is a rate per return: the region's is the returns' rates weighted by their employed FTE.
    absence = WorkforceReturn.objects.filter(period_end=row["period_end"], absence_rate__isnull=False).aggregate(
        weighted=Sum(F("absence_rate") * F("permanent_fte")), employed=Sum("permanent_fte")
    )
    totals = Totals(**{name: row[name] for name in ("employed_fte", "agency_fte", "vacancies_fte", "leavers_fte")})
    return RegionWorkforce(
        period_end=row["period_end"],
        employed_fte=row["employed_fte"],
        agency_fte=row["agency_fte"],
        turnover_rate=totals.turnover_rate,
        absence_rate=(absence["weighted"] / absence["employed"]).quantize(Decimal("0.01"))
        if absence["employed"]
        else None,
        source=f"the councils' returns for {row['period_end']:%-d %B %Y} ({row['authorities']} authorities)",
    )


def _newest_region_official() -> RegionWorkforce | None:
    figures = newest_figures(
        OfficialFigure.objects.filter(
            level=OfficialFigure.Level.REGIONAL, area_code=region_selectors.deployment_region().code
        )
    )
    if not figures:
        return None
    figure = figures[max(figures, key=lambda key: key[1])]
    return RegionWorkforce(
        period_end=figure.period_end,
        employed_fte=figure.employed_fte,
        agency_fte=figure.agency_fte,
        turnover_rate=figure.published_turnover_rate
        if figure.published_turnover_rate is not None
        else figure.turnover_rate,
        absence_rate=figure.absence_rate,
        source=f"the official statistics for {figure.period_end:%-d %B %Y} ({figure.release})",
    )


def region_workforce_newest(*, user) -> list[RegionWorkforce]:
    """The region's newest figures from the councils' returns (a sum a council may read), then from the official
    statistics: a figure missing from the first is taken from the second."""
    return [found for found in (_newest_region_returns(user=user), _newest_region_official()) if found is not None]
