"""Over the real official file (data/official/): for the 14 authorities the derived rates reproduce the published
ones, and the stats endpoint and the dashboard give back the published figures (SPEC §3, issue 6 "done when")."""

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

import pytest

from region.models import Authority
from tests.api.test_reference_api import token_client
from workforce.models import OfficialFigure

pytestmark = pytest.mark.django_db

OFFICIAL = settings.BASE_DIR / "data" / "official"
INDICATORS = OFFICIAL / "csww_indicators_2017_to_2025.csv"
HEADLINE = OFFICIAL / "csww_headline_measures_2017_to_2022.csv"
RATE_COLUMNS = {
    "agency_rate": "agency_rate_fte",
    "turnover_rate": "turnover_rate_fte",
    "vacancy_rate": "vacancy_rate_fte",
}
ROUNDING = Decimal("0.1")  # percentage points: the published FTEs are themselves rounded


@pytest.fixture
def imported(db):
    for path in (HEADLINE, INDICATORS):  # the older release first, as a coordinator would have
        call_command("import_workforce_stats", str(path), stdout=StringIO())


def published(area_filter):
    """{area code: {period_end: {rate: Decimal or the suppression code}}} from the newer file, read directly."""
    found = defaultdict(dict)
    with INDICATORS.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            code = area_filter(row)
            if code:
                found[code][date(int(row["time_period"]), 9, 30)] = {
                    rate: Decimal(row[column]) if row[column][:1].isdigit() else row[column]
                    for rate, column in RATE_COLUMNS.items()
                }
    return found


def as_published(point):
    return {
        rate: Decimal(point[rate]) if point[rate] is not None else point["suppressed"][rate] for rate in RATE_COLUMNS
    }


def test_the_derived_rates_of_the_14_authorities_match_the_published_ones_within_rounding(imported):
    compared, outside = defaultdict(int), []
    for figure in OfficialFigure.objects.filter(authority__isnull=False):
        for rate in RATE_COLUMNS:
            derived, shown = getattr(figure, rate), getattr(figure, f"published_{rate}")
            if derived is None or shown is None:
                continue
            compared[figure.release, rate] += 1
            if abs(derived - shown) > ROUNDING:
                outside.append((figure.area_name, figure.year, figure.release, rate, derived, shown))
    assert outside == []
    # 14 authorities × 9 years in the newer file (Birmingham's 2024 agency FTE suppressed, u), × 6 in the older
    assert dict(compared) == {
        (INDICATORS.stem, "agency_rate"): 125,
        (INDICATORS.stem, "turnover_rate"): 126,
        (INDICATORS.stem, "vacancy_rate"): 126,
        (HEADLINE.stem, "agency_rate"): 84,
        (HEADLINE.stem, "turnover_rate"): 84,
        (HEADLINE.stem, "vacancy_rate"): 84,
    }


def test_the_stats_endpoint_gives_each_authority_its_published_figures(imported, analyst):
    codes = set(Authority.objects.values_list("code", flat=True))
    expected = published(lambda row: row["new_la_code"] if row["new_la_code"] in codes else None)
    assert len(expected) == 14
    client = token_client(analyst)
    for code, years in expected.items():
        series = client.get("/api/v1/stats/workforce/", {"authority": code}).json()["series"]
        got = {date.fromisoformat(point["period_end"]): as_published(point) for point in series}
        assert got == years, code
        assert {point["release"] for point in series} == {INDICATORS.stem}  # the newer release wins every year
    birmingham_2024 = expected["E08000025"][date(2024, 9, 30)]
    assert birmingham_2024["agency_rate"] == "u"


def test_the_stats_endpoint_gives_the_region_its_published_west_midlands_row(imported, council_user):
    expected = published(
        lambda row: "region" if row["geographic_level"] == "Regional" and row["region_code"] == "E12000005" else None
    )["region"]
    series = token_client(council_user).get("/api/v1/stats/workforce/").json()["series"]
    assert {date.fromisoformat(point["period_end"]): as_published(point) for point in series} == expected
    assert expected[date(2024, 9, 30)]["agency_rate"] == Decimal("13.9")


def test_the_dashboard_compares_the_14_authorities_with_their_published_2025_figures(imported, client, coordinator):
    codes = {a.code: a.name for a in Authority.objects.all()}
    expected = published(lambda row: row["new_la_code"] if row["new_la_code"] in codes else None)
    client.force_login(coordinator)
    response = client.get(reverse("workforce:trends"), {"period": "2025-09-30", "sort": "name", "order": "asc"})
    rows = response.context["comparison"]["table"].rows
    by_name = {row[0]: row[1:] for row in rows}
    assert len(rows) == 15  # the 14 and the region
    for code, name in codes.items():
        assert by_name[name] == [expected[code][date(2025, 9, 30)][rate] for rate in RATE_COLUMNS], name
    birmingham = client.get(reverse("workforce:trends-authority", args=["E08000025"]))
    assert "— (u)" in birmingham.content.decode()
