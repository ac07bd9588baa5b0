"""import_workforce_stats: the DfE's official workforce statistics, in either naming scheme (SPEC §3, §7)."""

import csv
from datetime import date
from decimal import Decimal
from io import StringIO

from django.conf import settings
from django.core.management import CommandError, call_command

import pytest

from region.models import Authority
from workforce.models import OfficialFigure

pytestmark = pytest.mark.django_db

OFFICIAL = settings.BASE_DIR / "data" / "official"
INDICATORS = OFFICIAL / "csww_indicators_2017_to_2025.csv"
HEADLINE = OFFICIAL / "csww_headline_measures_2017_to_2022.csv"


def import_stats(path):
    out = StringIO()
    call_command("import_workforce_stats", str(path), stdout=out)
    return out.getvalue()


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def indicator_rows(*wanted):
    """The header and the rows of the indicators file whose (time_period, area name) are wanted."""
    with INDICATORS.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    name = {"National": "country_name", "Regional": "region_name", "Local authority": "la_name"}
    picked = [
        row
        for row in rows[1:]
        if (row[header.index("time_period")], row[header.index(name[row[header.index("geographic_level")]])]) in wanted
    ]
    return header, picked


@pytest.fixture
def indicators():
    return import_stats(INDICATORS)


def test_derived_rates_reproduce_the_published_rates_within_0_15_points(indicators):
    compared = {"agency": 0, "turnover": 0, "vacancy": 0}
    outside = []
    for figure in OfficialFigure.objects.filter(release=INDICATORS.stem, level="local_authority"):
        for rate in compared:
            derived, published = getattr(figure, f"{rate}_rate"), getattr(figure, f"published_{rate}_rate")
            if derived is None or published is None:
                continue
            compared[rate] += 1
            if abs(derived - published) > Decimal("0.15"):
                outside.append((figure.area_name, figure.year, rate, derived, published))

    assert outside == []
    # 14 authorities × 9 years = 126 rows; Birmingham 2024's agency FTE is suppressed (u).
    assert compared == {"agency": 125, "turnover": 126, "vacancy": 126}


def test_it_reports_rows_read_imported_and_skipped_with_reasons(indicators):
    assert indicators == (
        "Read 1463 rows: 234 imported, 0 updated, 0 unchanged, 1229 skipped\n"
        "  1215 skipped: not one of the 14 authorities\n"
        "  14 skipped: merged row of two authorities (codes like 940 / 941)\n"
    )


def test_each_of_the_14_authorities_has_a_row_for_every_year_2017_to_2025(indicators):
    for authority in Authority.objects.all():
        years = list(authority.official_figures.filter(release=INDICATORS.stem).values_list("year", flat=True))
        assert sorted(years) == list(range(2017, 2026)), authority.name
    assert Authority.objects.count() == 14


def test_national_and_every_regional_row_are_kept_with_the_west_midlands(indicators):
    figures = OfficialFigure.objects.filter(release=INDICATORS.stem)
    assert figures.filter(level="national", area_code="E92000001").count() == 9
    assert figures.filter(level="regional").count() == 99  # 9 regions, Inner and Outer London, 9 years
    assert figures.filter(level="local_authority").count() == 126

    west_midlands = figures.get(area_code="E12000005", year=2025)
    assert west_midlands.area_name == "West Midlands"
    assert west_midlands.authority is None
    assert west_midlands.period_end == date(2025, 9, 30)
    assert west_midlands.employed_fte == Decimal("4130.2")
    assert west_midlands.agency_fte == Decimal("482")
    assert west_midlands.published_agency_rate == Decimal("10.4")
    assert figures.filter(area_code="E12000005").count() == 9


def test_a_suppressed_value_is_null_with_its_code_never_zero(indicators):
    birmingham = OfficialFigure.objects.get(release=INDICATORS.stem, area_code="E08000025", year=2024)

    assert birmingham.agency_fte is None
    assert birmingham.published_agency_rate is None
    assert birmingham.absence_rate is None
    assert birmingham.suppressed == {"agency_fte": "u", "absence_rate": "u", "published_agency_rate": "u"}
    assert birmingham.agency_rate is None
    # The figures that were published stay usable.
    assert birmingham.leavers_fte == Decimal("99.1")
    assert birmingham.turnover_rate == Decimal("12.9")


def test_the_older_headline_file_with_a_bom_imports_and_matches_the_file():
    assert import_stats(HEADLINE) == (
        "Read 978 rows: 156 imported, 0 updated, 0 unchanged, 822 skipped\n"
        "  822 skipped: not one of the 14 authorities\n"
    )

    herefordshire = OfficialFigure.objects.get(release=HEADLINE.stem, area_code="E06000019", year=2021)
    assert herefordshire.release == "csww_headline_measures_2017_to_2022"
    assert herefordshire.area_name == "Herefordshire, County of"
    assert herefordshire.authority.la_code == "884"
    assert herefordshire.period_end == date(2021, 9, 30)
    assert herefordshire.employed_fte == Decimal("103.3")
    assert herefordshire.leavers_fte == Decimal("19.4")
    assert herefordshire.agency_fte == Decimal("49.8")
    assert herefordshire.vacancies_fte == Decimal("24.3")
    assert herefordshire.absence_rate == Decimal("3.1")
    assert herefordshire.published_turnover_rate == Decimal("18.8")
    assert herefordshire.published_agency_rate == Decimal("32.5")
    assert herefordshire.published_vacancy_rate == Decimal("19")
    assert herefordshire.suppressed == {}


def test_the_two_releases_are_kept_apart(indicators):
    import_stats(HEADLINE)

    assert OfficialFigure.objects.count() == 234 + 156
    solihull_2021 = OfficialFigure.objects.filter(area_code="E08000029", year=2021)
    assert sorted(solihull_2021.values_list("release", flat=True)) == [HEADLINE.stem, INDICATORS.stem]


def test_rerunning_the_same_file_changes_nothing(indicators):
    assert import_stats(INDICATORS).startswith("Read 1463 rows: 0 imported, 0 updated, 234 unchanged, 1229 skipped\n")
    assert OfficialFigure.objects.count() == 234


def test_a_corrected_figure_is_updated_on_rerun(indicators, tmp_path):
    with INDICATORS.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    solihull_2025 = next(row for row in rows if row[header.index("la_name")] == "Solihull" and row[0] == "2025")
    solihull_2025[header.index("inpost_fte")] = "160.0"  # was 153.6
    corrected = write_csv(tmp_path / INDICATORS.name, rows)  # same file name: the same release

    assert import_stats(corrected).startswith("Read 1463 rows: 0 imported, 1 updated, 233 unchanged, 1229 skipped\n")
    solihull = OfficialFigure.objects.get(release=INDICATORS.stem, area_code="E08000029", year=2025)
    assert solihull.employed_fte == Decimal("160.0")


def test_a_bad_header_is_refused_and_nothing_is_written(tmp_path):
    header, rows = indicator_rows(("2025", "England"), ("2025", "Solihull"))
    header = ["in_post_fte" if column == "inpost_fte" else column for column in header]
    bad = write_csv(tmp_path / "renamed.csv", [header, *rows])

    with pytest.raises(CommandError, match="missing columns inpost_fte"):
        import_stats(bad)
    assert OfficialFigure.objects.count() == 0


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        import_stats(tmp_path / "nowhere.csv")


def test_a_value_neither_a_number_nor_a_code_skips_its_row_naming_the_column(tmp_path):
    header, (england, solihull) = indicator_rows(("2025", "England"), ("2025", "Solihull"))
    solihull[header.index("agency_fte")] = "n/a"
    path = write_csv(tmp_path / "typo.csv", [header, england, solihull])

    assert import_stats(path) == (
        "Read 2 rows: 1 imported, 0 updated, 0 unchanged, 1 skipped\n"
        "  1 skipped: agency_fte value 'n/a' is neither a number nor a suppression code\n"
    )
    assert list(OfficialFigure.objects.values_list("area_name", flat=True)) == ["England"]


def test_an_empty_cell_is_null_never_zero(tmp_path):
    header, (solihull,) = indicator_rows(("2025", "Solihull"))
    solihull[header.index("vacancy_fte")] = ""
    path = write_csv(tmp_path / "blank.csv", [header, solihull])

    assert import_stats(path).startswith("Read 1 rows: 1 imported, 0 updated, 0 unchanged, 0 skipped\n")
    solihull = OfficialFigure.objects.get()
    assert solihull.vacancies_fte is None
    assert solihull.suppressed == {"vacancies_fte": ""}
    assert solihull.vacancy_rate is None
