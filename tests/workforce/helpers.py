"""Official figures made by hand for the workforce tests (the test over the real file imports it instead)."""

from datetime import date
from decimal import Decimal

from region.models import Authority
from tests.factories import OfficialFigureFactory
from workforce.models import OfficialFigure
from workforce.selectors import WEST_MIDLANDS

RELEASE = "csww_indicators_2017_to_2025"
OLDER_RELEASE = "csww_headline_measures_2017_to_2022"


def official(
    code, year, *, employed, agency, vacancies, leavers, rates, release=RELEASE, suppressed=None
) -> OfficialFigure:
    """A row of the statistics; `code` an authority's ONS code or the region's. None values are suppressed with `u`
    unless `suppressed` says otherwise."""
    fields = {
        "employed_fte": employed,
        "agency_fte": agency,
        "vacancies_fte": vacancies,
        "leavers_fte": leavers,
        "published_agency_rate": rates[0],
        "published_turnover_rate": rates[1],
        "published_vacancy_rate": rates[2],
    }
    values = {name: None if value is None else Decimal(value) for name, value in fields.items()}
    if suppressed is None:
        suppressed = {name: "u" for name, value in values.items() if value is None}
    if code == WEST_MIDLANDS:
        level, authority, name = OfficialFigure.Level.REGIONAL, None, "West Midlands"
    else:
        authority = Authority.objects.get(code=code)
        level, name = OfficialFigure.Level.LOCAL_AUTHORITY, authority.name
    return OfficialFigureFactory(
        release=release,
        level=level,
        area_code=code,
        area_name=name,
        authority=authority,
        year=year,
        period_end=date(year, 9, 30),
        suppressed=suppressed,
        **values,
    )
