"""The region's trends beside England and the regions a reader adds (issue 15): published rows as published, a
suppressed value a gap with its code, no more queries however many regions are added."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

import pytest

from tests.factories import OfficialFigureFactory
from tests.workforce.helpers import official
from workforce.models import OfficialFigure
from workforce.selectors import WEST_MIDLANDS

pytestmark = pytest.mark.django_db

REGION = reverse("workforce:trends")
ENGLAND, NORTH_EAST, LONDON = "E92000001", "E12000001", "E12000007"


def area(code, name, year, agency_rate, *, level=OfficialFigure.Level.REGIONAL, suppressed=None):
    OfficialFigureFactory(
        authority=None,
        level=level,
        area_code=code,
        area_name=name,
        year=year,
        published_agency_rate=None if agency_rate is None else Decimal(agency_rate),
        suppressed=suppressed or {},
    )


@pytest.fixture
def areas(db):
    official(
        WEST_MIDLANDS,
        2024,
        employed="3982.3",
        agency="569.5",
        vacancies="887.5",
        leavers="475.7",
        rates=("13.9", "11.9", "18.2"),
    )
    area(ENGLAND, "England", 2023, "17.9", level=OfficialFigure.Level.NATIONAL)
    area(ENGLAND, "England", 2024, "15.5", level=OfficialFigure.Level.NATIONAL)
    area(NORTH_EAST, "North East", 2024, "9.8")
    area(LONDON, "London", 2024, None, suppressed={"published_agency_rate": "x"})


def beside(response):
    return response.context["sections"][0]["beside_table"]


def test_the_region_is_shown_beside_england(client, analyst, areas):
    client.force_login(analyst)
    response = client.get(REGION)
    table = beside(response)
    assert table.columns == ["Period end", "West Midlands", "England"]
    assert table.rows == [
        [date(2023, 9, 30), None, Decimal("17.9")],
        [date(2024, 9, 30), Decimal("13.9"), Decimal("15.5")],
    ]
    assert "England, official" in response.context["sections"][0]["chart"]


def test_a_reader_adds_regions_and_a_suppressed_one_is_a_gap_with_its_code(client, analyst, areas):
    client.force_login(analyst)
    response = client.get(REGION, {"compare": [LONDON, NORTH_EAST, WEST_MIDLANDS, "E99999999"]})
    table = beside(response)
    # In the regions' order; the region itself and unknown codes are left out.
    assert table.columns == ["Period end", "West Midlands", "England", "North East", "London"]
    last = table.rows[-1]
    assert last[:4] == [date(2024, 9, 30), Decimal("13.9"), Decimal("15.5"), Decimal("9.8")]
    assert last[4].value is None and last[4].note == "x"
    page = response.content.decode()
    assert '<input type="checkbox" id="compare-E12000001" name="compare" value="E12000001" checked>' in page
    assert 'for="compare-E12000001">North East</label>' in page
    assert "compare-E12000005" not in page  # the region itself is not offered


def test_an_authoritys_page_has_no_areas_beside(client, analyst, areas):
    client.force_login(analyst)
    response = client.get(reverse("workforce:trends-authority", args=["E08000029"]))
    assert beside(response) is None


def test_adding_regions_adds_no_query(client, coordinator, areas, django_assert_num_queries):
    client.force_login(coordinator)
    # The published rows of England and the added regions come in the query of the region's own (the rest as
    # pinned in test_trends_dashboard, less the comparison's rows: there are no returns here).
    with django_assert_num_queries(10):
        client.get(REGION)
    with django_assert_num_queries(10):
        client.get(REGION, {"compare": [NORTH_EAST, LONDON, "E12000002", "E12000009"]})


def test_the_beside_table_downloads(client, analyst, areas):
    client.force_login(analyst)
    table = beside(client.get(REGION, {"compare": NORTH_EAST}))
    response = client.get(REGION, {"compare": NORTH_EAST, "export": "csv", "table": table.slug})
    assert response.status_code == 200
    assert "North East" in response.content.decode()
