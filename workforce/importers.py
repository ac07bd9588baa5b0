"""Import the DfE's children's social work workforce statistics into OfficialFigure (SPEC §3, §7).

Either release's file is read; the naming scheme is told from the header. Kept: the national row, every regional
row (England and regional comparisons need them all) and the rows of the region's authorities. Each file is its own
`release`, so rerunning a file changes nothing and importing an older one never overwrites a newer one.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from region.models import Authority
from workforce.models import OfficialFigure

# Area columns, the same in both releases.
AREA_COLUMNS = [
    "time_period",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
]

MEASURES = [
    "employed_fte",
    "agency_fte",
    "vacancies_fte",
    "leavers_fte",
    "absence_rate",
    "published_agency_rate",
    "published_turnover_rate",
    "published_vacancy_rate",
]

# Each measure → the column holding it, per naming scheme.
SCHEMES = {
    "indicators (2017 to 2025)": {
        "employed_fte": "inpost_fte",
        "agency_fte": "agency_fte",
        "vacancies_fte": "vacancy_fte",
        "leavers_fte": "leavers_fte",
        "absence_rate": "absence_rate_fte",
        "published_agency_rate": "agency_rate_fte",
        "published_turnover_rate": "turnover_rate_fte",
        "published_vacancy_rate": "vacancy_rate_fte",
    },
    "headline measures (2017 to 2022)": {
        "employed_fte": "social_worker_fte",
        "agency_fte": "agency_fte",
        "vacancies_fte": "vacancy_fte",
        "leavers_fte": "leaver_fte",
        "absence_rate": "absence_rate_fte_%",
        "published_agency_rate": "agency_worker_rate_fte_%",
        "published_turnover_rate": "turnover_rate_fte_%",
        "published_vacancy_rate": "vacancy_rate_fte_%",
    },
}

# z not applicable, u low reliability, x and c withheld, low too small to publish; an empty cell is kept as "".
SUPPRESSION_CODES = {"z", "u", "x", "c", "low", ""}
NUMBER = re.compile(r"\d+(\.\d+)?")

LEVELS = {
    "National": OfficialFigure.Level.NATIONAL,
    "Regional": OfficialFigure.Level.REGIONAL,
    "Local authority": OfficialFigure.Level.LOCAL_AUTHORITY,
}

NOT_OURS = "not one of the {count} authorities"  # the region's, counted when the file is read
MERGED = "merged row of two authorities (codes like 940 / 941)"

# What a rerun compares and rewrites; (release, area_code, period_end) is the row's identity.
UPDATED_FIELDS = ["level", "area_name", "authority", "year", *MEASURES, "suppressed"]


class OfficialStatisticsError(Exception):
    """The file as a whole cannot be imported (unreadable, or a header in neither naming scheme)."""


class _Skip(Exception):
    """This row is left out, for the reason given."""


@dataclass
class ImportReport:
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)

    @property
    def skipped_count(self):
        return sum(self.skipped.values())


@transaction.atomic
def import_official_statistics(path) -> ImportReport:
    """Upsert the kept rows of one statistics file; nothing is written when the file as a whole is unusable."""
    path = Path(path)
    release = path.stem
    if len(release) > OfficialFigure._meta.get_field("release").max_length:
        raise OfficialStatisticsError(f"{path.name}: the file name is too long to name a release")
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # utf-8-sig drops the older file's BOM
            reader = csv.DictReader(file)
            columns = _columns_for(reader.fieldnames or [], path.name)
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise OfficialStatisticsError(f"{path.name} is not a readable UTF-8 CSV file: {error}") from error

    report = ImportReport(rows_read=len(rows))
    authorities = {}
    for authority in Authority.objects.all():
        authorities[authority.code] = authorities[authority.la_code] = authority

    not_ours = NOT_OURS.format(count=len({authority.pk for authority in authorities.values()}))
    figures = {}
    for row in rows:
        try:
            figure = _figure_from_row(row, columns=columns, authorities=authorities, release=release, not_ours=not_ours)
            if (figure.area_code, figure.period_end) in figures:
                raise _Skip("a second row for the same area and year")
        except _Skip as skip:
            report.skipped[str(skip)] += 1
            continue
        figures[figure.area_code, figure.period_end] = figure

    existing = {(f.area_code, f.period_end): f for f in OfficialFigure.objects.filter(release=release)}
    to_create, to_update = [], []
    for key, figure in figures.items():
        current = existing.get(key)
        if current is None:
            to_create.append(figure)
        elif _values(current) == _values(figure):
            report.unchanged += 1
        else:
            for name in UPDATED_FIELDS:
                setattr(current, name, getattr(figure, name))
            to_update.append(current)
    OfficialFigure.objects.bulk_create(to_create)
    OfficialFigure.objects.bulk_update(to_update, UPDATED_FIELDS)
    report.imported, report.updated = len(to_create), len(to_update)
    return report


def _columns_for(header, filename):
    """The naming scheme whose columns are all in the header, or an error naming what is missing."""
    missing = {
        scheme: [column for column in [*AREA_COLUMNS, *columns.values()] if column not in header]
        for scheme, columns in SCHEMES.items()
    }
    for scheme, absent in missing.items():
        if not absent:
            return SCHEMES[scheme]
    closest, absent = min(missing.items(), key=lambda item: len(item[1]))
    raise OfficialStatisticsError(
        f"{filename} has an unrecognised header: missing columns {', '.join(absent)} "
        f"(compared with the closest naming scheme, {closest})"
    )


def _figure_from_row(row, *, columns, authorities, release, not_ours):
    if None in row or None in row.values():
        raise _Skip("a row with more or fewer fields than the header")
    level = LEVELS.get(row["geographic_level"].strip())
    if level is None:
        raise _Skip(f"unknown geographic level {row['geographic_level']!r}")

    authority = None
    if level == OfficialFigure.Level.LOCAL_AUTHORITY:
        new_code, old_code = row["new_la_code"].strip(), row["old_la_code"].strip()
        # Its figures belong to two councils at once, so they can be attributed to neither.
        if "/" in new_code or "/" in old_code:
            raise _Skip(MERGED)
        authority = authorities.get(new_code) or authorities.get(old_code)
        if authority is None:
            raise _Skip(not_ours)
        area_code, area_name = new_code or authority.code, row["la_name"].strip() or authority.name
    elif level == OfficialFigure.Level.REGIONAL:
        area_code, area_name = row["region_code"].strip(), row["region_name"].strip()
    else:
        area_code, area_name = row["country_code"].strip(), row["country_name"].strip()
    if not area_code:
        raise _Skip(f"a {level.label.lower()} row without an area code")

    year = row["time_period"].strip()
    if not re.fullmatch(r"\d{4}", year):
        raise _Skip(f"time_period {year!r} is not a year")

    values, suppressed = {}, {}
    for name, column in columns.items():
        values[name] = _measure(row[column].strip(), name=name, column=column)
        if values[name] is None:
            suppressed[name] = row[column].strip().lower()

    return OfficialFigure(
        release=release,
        level=level,
        area_code=area_code,
        area_name=area_name,
        authority=authority,
        year=int(year),
        period_end=date(int(year), 9, 30),  # the statistics are a snapshot at 30 September
        suppressed=suppressed,
        **values,
    )


def _measure(raw, *, name, column):
    """A number as a Decimal, or None for a suppression code; anything else leaves the row out."""
    if raw.lower() in SUPPRESSION_CODES:
        return None
    if not NUMBER.fullmatch(raw):
        raise _Skip(f"{column} value {raw!r} is neither a number nor a suppression code")
    value = Decimal(raw)
    model_field = OfficialFigure._meta.get_field(name)
    # PostgreSQL would round extra decimals, and a rerun would then see every such row as changed.
    places = -value.as_tuple().exponent
    if places > model_field.decimal_places or value >= 10 ** (model_field.max_digits - model_field.decimal_places):
        raise _Skip(f"{column} value {raw!r} has more digits than the figure holds")
    return value


def _values(figure):
    return [getattr(figure, OfficialFigure._meta.get_field(name).attname) for name in UPDATED_FIELDS]
