"""The workforce trends dashboard (SPEC §5): official (DfE) beside council returns, gaps for suppressed figures,
authorities side by side, exports, and who sees what."""

import csv
import io
from datetime import date
from decimal import Decimal

from django.urls import reverse

import pytest
from openpyxl import load_workbook

from tests.factories import WorkforceReturnFactory, authority
from tests.workforce.helpers import official
from workforce.selectors import WEST_MIDLANDS

pytestmark = pytest.mark.django_db

REGION = reverse("workforce:trends")
BIRMINGHAM, SOLIHULL, COVENTRY = "E08000025", "E08000029", "E08000026"


def trends_of(code):
    return reverse("workforce:trends-authority", args=[code])


@pytest.fixture
def figures(db):
    """Official rows for 2023–2025 (Birmingham's 2024 agency figures suppressed, as in the real file), the region's
    2024 row, and Solihull's and Coventry's returns."""
    official(
        SOLIHULL, 2023, employed="121.2", agency="98", vacancies="40.8", leavers="24.3", rates=("44.7", "20.1", "25.2")
    )
    official(
        SOLIHULL, 2024, employed="118.3", agency="63.8", vacancies="52.8", leavers="19.6", rates=("35", "16.6", "30.9")
    )
    official(
        COVENTRY, 2024, employed="371.7", agency="38.2", vacancies="52", leavers="65.6", rates=("9.3", "17.7", "12.3")
    )
    official(
        BIRMINGHAM,
        2023,
        employed="761.7",
        agency="103.4",
        vacancies="278",
        leavers="86",
        rates=("11.9", "11.3", "26.7"),
    )
    official(
        BIRMINGHAM, 2024, employed="766.2", agency=None, vacancies="278", leavers="99.1", rates=(None, "12.9", "26.6")
    )
    official(
        BIRMINGHAM,
        2025,
        employed="769.6",
        agency="108.5",
        vacancies="159",
        leavers="65.4",
        rates=("12.4", "8.5", "17.1"),
    )
    official(
        WEST_MIDLANDS,
        2024,
        employed="3982.3",
        agency="569.5",
        vacancies="887.5",
        leavers="475.7",
        rates=("13.9", "11.9", "18.2"),
    )
    WorkforceReturnFactory(period_end=date(2024, 9, 30))  # Solihull: 20.0, 15.0, 10.0
    WorkforceReturnFactory(period_end=date(2025, 3, 31), agency_fte=Decimal("20"))  # Solihull: 10.0
    WorkforceReturnFactory(authority=authority(COVENTRY), period_end=date(2024, 9, 30), agency_fte=Decimal("60"))


def table(response, slug_start):
    [found] = [t for t in response.context["sections"] if t["table"].slug.startswith(slug_start)]
    return found["table"]


def test_an_authoritys_page_shows_official_figures_beside_its_returns(client, coordinator, figures):
    client.force_login(coordinator)
    response = client.get(trends_of(SOLIHULL))
    assert response.status_code == 200
    agency = table(response, "workforce-agency-rate")
    assert agency.columns == ["Period end", "Agency rate % official (DfE)", "Agency rate % council returns"]
    assert agency.rows == [
        [date(2023, 9, 30), Decimal("44.7"), None],
        [date(2024, 9, 30), Decimal("35.0"), Decimal("20.0")],
        [date(2025, 3, 31), None, Decimal("10.0")],
    ]
    page = response.content.decode()
    assert "official (DfE)" in page and "council returns" in page
    assert page.count('<svg class="chart"') == 3


def test_a_suppressed_figure_is_a_gap_with_its_reason_never_zero(client, analyst, figures):
    client.force_login(analyst)
    response = client.get(trends_of(BIRMINGHAM))
    agency = table(response, "workforce-agency-rate")
    row_2024 = agency.rows[1]
    assert row_2024[0] == date(2024, 9, 30)
    assert row_2024[1].value is None and row_2024[1].note == "u"
    page = response.content.decode()
    assert "— (u)" in page
    assert "low reliability" in page  # the footnote says what u means
    chart = response.context["sections"][0]["chart"]
    # The official line is broken at 2024: two separate runs (2023, and 2025), nothing drawn at zero.
    assert chart.count('class="s0 line"') == 2
    assert "Birmingham" not in str(row_2024) and "0.0" not in str(row_2024[1])


def test_the_region_page_shows_the_published_row_and_the_returns_summed(client, coordinator, figures):
    client.force_login(coordinator)
    response = client.get(REGION)
    agency = table(response, "workforce-agency-rate")
    assert agency.columns[-1] == "Authorities in the returns' sum"
    # 2024: the published 13.9; returns of Solihull and Coventry: (45 + 60) ÷ (45 + 60 + 180 + 180) = 22.6
    assert [date(2024, 9, 30), Decimal("13.9"), Decimal("22.6"), 2] in agency.rows


def test_authorities_side_by_side_sorted_by_a_column(client, coordinator, figures):
    client.force_login(coordinator)
    response = client.get(REGION, {"period": "2024-09-30", "sort": "agency_rate", "order": "desc"})
    comparison = response.context["comparison"]
    assert [row["authority"].name for row in comparison["rows"]] == ["Solihull", "Coventry", "Birmingham"]
    assert comparison["table"].rows[-1] == [
        "West Midlands (14 authorities)",
        Decimal("13.9"),
        Decimal("11.9"),
        Decimal("18.2"),
    ]
    ascending = client.get(REGION, {"period": "2024-09-30", "sort": "agency_rate", "order": "asc"}).context
    # a gap sorts last whichever the order
    assert [row["authority"].name for row in ascending["comparison"]["rows"]] == ["Coventry", "Solihull", "Birmingham"]
    page = response.content.decode()
    assert 'aria-sort="descending"' in page
    assert page.count('<svg class="chart"') == 4  # three trends and the bar chart


def test_a_council_sees_its_own_page_and_the_regions_but_not_another_authoritys(client, council_user, figures):
    client.force_login(council_user)
    assert client.get(trends_of(SOLIHULL)).status_code == 200
    assert client.get(trends_of(COVENTRY)).status_code == 404
    region = client.get(REGION, {"period": "2024-09-30"})
    # Official figures are public statistics: every authority's, side by side.
    compared = [row["authority"].name for row in region.context["comparison"]["rows"]]
    assert compared == ["Solihull", "Coventry", "Birmingham"]
    returns = client.get(REGION, {"source": "returns", "period": "2024-09-30"}).context["comparison"]
    assert [row["authority"].name for row in returns["rows"]] == ["Solihull"]
    # The region's sum of two authorities would give Coventry's return away: withheld from a council.
    assert returns["region"].suppressed == {"agency_rate": "c", "turnover_rate": "c", "vacancy_rate": "c"}


def test_agency_users_have_no_workforce_dashboard(client, agency_user, figures):
    client.force_login(agency_user)
    assert client.get(REGION).status_code == 403
    assert client.get(trends_of(SOLIHULL)).status_code == 403


@pytest.mark.parametrize("persona", ["coordinator", "analyst", "council_user"])
def test_an_authoritys_trends_are_two_clicks_from_home(client, request, persona, figures):
    client.force_login(request.getfixturevalue(persona))
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("dashboards:index")}"' in home  # click 1: Dashboards
    dashboards = client.get(reverse("dashboards:index")).content.decode()
    assert f'href="{trends_of(SOLIHULL)}"' in dashboards  # click 2: the authority
    assert client.get(trends_of(SOLIHULL)).status_code == 200


def test_a_trend_table_downloads_as_csv_with_the_gap_and_its_code(client, analyst, figures):
    client.force_login(analyst)
    slug = table(client.get(trends_of(BIRMINGHAM)), "workforce-agency-rate").slug
    response = client.get(trends_of(BIRMINGHAM), {"export": "csv", "table": slug})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Period end", "Agency rate % official (DfE)", "Agency rate % council returns"],
        ["2023-09-30", "11.9", ""],
        ["2024-09-30", "— (u)", ""],
        ["2025-09-30", "12.4", ""],
    ]


def test_the_comparison_downloads_as_xlsx_with_numbers(client, coordinator, figures):
    client.force_login(coordinator)
    context = client.get(REGION, {"period": "2024-09-30"}).context
    slug = context["comparison"]["table"].slug
    response = client.get(REGION, {"period": "2024-09-30", "export": "xlsx", "table": slug})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Authority", "Agency rate %", "Turnover %", "Vacancy rate %")
    assert rows[1] == ("Solihull", 35.0, 16.6, 30.9)
    assert rows[3] == ("Birmingham", "— (u)", 12.9, 26.6)


def test_the_pages_take_the_same_queries_however_many_periods(client, coordinator, figures, django_assert_num_queries):
    client.force_login(coordinator)
    # Both: savepoint (ATOMIC_REQUESTS), session, user, the 14 authorities, the latest year of each release, …, release.
    # An authority's page: its official rows, its returns. The region's: the official rows of the region and the 14,
    # the count of authorities, the returns summed per period end; for the comparison, its period ends, the latest
    # year of each release again and the official rows of the period.
    counts = {trends_of(SOLIHULL): 8, REGION: 12}
    for url, count in counts.items():
        with django_assert_num_queries(count):
            client.get(url)
    for year in range(2010, 2023):
        official(SOLIHULL, year, employed="100", agency="10", vacancies="10", leavers="10", rates=("9.1", "10", "9.1"))
        WorkforceReturnFactory(period_end=date(year, 3, 31))
        WorkforceReturnFactory(authority=authority(COVENTRY), period_end=date(year, 3, 31))
    for url, count in counts.items():
        with django_assert_num_queries(count):
            client.get(url)
