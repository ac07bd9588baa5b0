"""The dashboards' pages: who may open them, what each persona sees (a council never another authority's figures),
the league table's sorting, the exports beside every chart, and query counts that do not grow with the data."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

import pytest
from openpyxl import load_workbook

from compliance.audit import audit_perform
from compliance.models import Breach
from dashboards.summaries import summaries_refresh
from tests.dashboards.conftest import week_of_work, work
from tests.factories import AgencyFactory, AuditRunFactory, PlacementFactory, authority

pytestmark = pytest.mark.django_db

PAGES = ["/dashboards/", "/dashboards/rates/", "/dashboards/compliance/", "/dashboards/cost/"]


@pytest.fixture
def audited(region):
    """The region's lines audited (Solihull: agency A's pay and charge cases; Coventry: agency B's) and summarised.
    Agency A's pay case resolved after 2 days, its charge case dismissed after 5; the rest open."""
    audit_perform(run_id=AuditRunFactory(trigger="test").pk)
    summaries_refresh()
    detected = timezone.now() - timedelta(days=10)
    Breach.objects.update(detected_at=detected)
    a = region["solihull_a"].agency
    Breach.objects.filter(agency=a, rule="pay_rate_above_cap").update(
        status="resolved", closed_at=detected + timedelta(days=2)
    )
    Breach.objects.filter(agency=a, rule="charge_rate_above_cap").update(
        status="dismissed", dismissed_reason="Agreed back-pay", closed_at=detected + timedelta(days=5)
    )
    return region


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["coordinator", "analyst", "council_user"])
def test_the_region_and_councils_open_every_dashboard(client, request, persona, page, audited):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_agencies_get_403_on_the_dashboards(client, agency_user, page):
    client.force_login(agency_user)
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_is_sent_to_sign_in(client, page):
    response = client.get(page)
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("page", PAGES[1:])
def test_pages_say_so_when_there_is_nothing_to_show(client, coordinator, page):
    client.force_login(coordinator)
    body = client.get(page).content.decode()
    assert "have not been summarised yet" in body
    assert 'class="empty"' in body


# --- Rates against caps ---------------------------------------------------------------------------------------------


def test_the_rates_page_shows_averages_spread_caps_and_share_above(client, coordinator, audited):
    client.force_login(coordinator)
    response = client.get("/dashboards/rates/", {"role": "SW"})
    body = response.content.decode()
    assert body.count('<svg class="chart"') == 3
    assert "Pay cap" in body and "Typical range" in body
    rows = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "export": "csv"}))
    # January 2019, the region: 37.5 h at £24 + 15 h at £26 (Solihull A), 37.5 h at £26.50 (Solihull B, limited),
    # 40 h at £30 (Coventry B): 130 h, £3,483.75 of pay → £26.80/h; 55 of 130 h above the cap (42.3 %). Charges
    # £32, £35, £33 (within the limited companies' £40), £40: £35.10/h, 55 h above the £33 cap.
    assert rows[0][:4] == ["Month", "Lines", "Hours", "Average pay £/h"]
    assert rows[1] == [
        "2019-01",
        "17",
        "130.00",
        "26.80",
        "2.35",
        "24.00",
        "30.00",
        "25.00",
        "42.3",
        "35.10",
        "3.38",
        "32.00",
        "40.00",
        "33.00",
        "42.3",
    ]


def test_the_rates_page_filters_by_engagement_type_and_draws_its_cap(client, coordinator, audited):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "engagement_type": "limited", "export": "csv"}))
    assert [row[:3] + row[7:9] for row in rows[1:]] == [["2019-01", "5", "37.50", "27.00", "0.0"]]


def test_the_rates_page_filters_by_period(client, coordinator, audited):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "start": "2019-02", "export": "csv"}))
    assert rows[1:] == []
    body = client.get("/dashboards/rates/", {"role": "SW", "start": "2019-02"}).content.decode()
    assert "No timesheets for Social worker in this selection" in body or "No timesheets for" in body


def test_a_council_sees_its_authority_or_the_region_and_never_another(client, council_user, audited):
    client.force_login(council_user)
    own = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "export": "csv"}))
    assert own[1][:3] == ["2019-01", "12", "90.00"]  # Solihull only: its default
    region = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "authority": "", "export": "csv"}))
    # The region's totals rest on 2 authorities' placements: withheld from a council (futuresocial.disclosure)
    assert region[1][:3] == ["2019-01", "— (c)", "— (c)"]
    refused = client.get("/dashboards/rates/", {"role": "SW", "authority": "E08000026"})
    assert "Select a valid choice" in refused.content.decode()
    coventry = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "authority": "E08000026", "export": "csv"}))
    assert coventry[1][:3] == ["2019-01", "12", "90.00"]  # fell back to Solihull: Coventry's 40 h never shown
    assert "Coventry" not in refused.content.decode().split("<main", 1)[1].split("</form>")[1]


def test_the_coordinator_can_choose_any_authority(client, coordinator, audited):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "authority": "E08000026", "export": "csv"}))
    assert rows[1][:4] == ["2019-01", "5", "40.00", "30.00"]


# --- Compliance by agency -------------------------------------------------------------------------------------------


def league(client, **params):
    rows = csv_rows(client.get("/dashboards/compliance/", {**params, "export": "csv"}))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_league_table_counts_each_agencys_cases_lines_and_time_to_close(client, coordinator, audited):
    client.force_login(coordinator)
    rows = {row["Agency"]: row for row in league(client)}
    a, b = rows["Alpha Locums Ltd"], rows["Beta Social Care Staffing Ltd"]
    # A: 15 h × (£26 − £25) pay (its 15 h × (£35 − £33) charge case was dismissed: not in the total, still a case);
    # B: 40 h × £5 and 40 h × £7.
    assert (a["Cases"], a["Not yet closed"], a["Total excess £"], a["Timesheet lines"]) == ("2", "0", "15.00", "7")
    assert (a["Median days to close"], a["Mean days to close"], a["Closed cases"]) == ("3.5", "3.5", "2")
    assert (b["Cases"], b["Not yet closed"], b["Total excess £"], b["Timesheet lines"]) == ("2", "2", "480.00", "10")
    assert (b["Cases per 1,000 lines"], b["Median days to close"], b["Standing"]) == ("200.00", "", "Approved")


def test_the_league_table_sorts_by_any_column(client, coordinator, audited):
    AgencyFactory(name="Gamma Recruitment Ltd")  # no cases, no lines
    client.force_login(coordinator)
    names = lambda **p: [row["Agency"] for row in league(client, **p)]  # noqa: E731
    assert names() == ["Beta Social Care Staffing Ltd", "Alpha Locums Ltd", "Gamma Recruitment Ltd"]  # -excess
    assert names(sort="excess") == ["Gamma Recruitment Ltd", "Alpha Locums Ltd", "Beta Social Care Staffing Ltd"]
    assert names(sort="agency") == ["Alpha Locums Ltd", "Beta Social Care Staffing Ltd", "Gamma Recruitment Ltd"]
    assert names(sort="-agency") == ["Gamma Recruitment Ltd", "Beta Social Care Staffing Ltd", "Alpha Locums Ltd"]
    assert names(sort="-lines") == ["Beta Social Care Staffing Ltd", "Alpha Locums Ltd", "Gamma Recruitment Ltd"]
    # No closed case: last whichever the direction
    assert names(sort="median_days")[-2:] == ["Beta Social Care Staffing Ltd", "Gamma Recruitment Ltd"]
    assert names(sort="-median_days")[-2:] == ["Beta Social Care Staffing Ltd", "Gamma Recruitment Ltd"]
    assert names(sort="nonsense") == names()
    body = client.get("/dashboards/compliance/", {"sort": "-lines"}).content.decode()
    assert "Timesheet lines ↓" in body and "sort=lines" in body  # a second click reverses


def test_a_council_sees_the_cases_at_its_authority_only(client, council_user, audited):
    client.force_login(council_user)
    rows = {row["Agency"]: row for row in league(client)}
    # Agency B's cases are at Coventry; its Solihull lines (limited company, within the cap) still count.
    assert (
        rows["Beta Social Care Staffing Ltd"]["Cases"],
        rows["Beta Social Care Staffing Ltd"]["Timesheet lines"],
    ) == (
        "0",
        "5",
    )
    assert rows["Alpha Locums Ltd"]["Total excess £"] == "15.00"  # its dismissed case's £30 left out
    body = client.get("/dashboards/compliance/", {"authority": "E08000026"}).content.decode()
    assert "480" not in body


def test_the_coordinator_narrows_the_league_to_an_authority(client, coordinator, audited):
    client.force_login(coordinator)
    rows = {row["Agency"]: row for row in league(client, authority="E08000026")}
    assert (rows["Alpha Locums Ltd"]["Cases"], rows["Beta Social Care Staffing Ltd"]["Total excess £"]) == (
        "0",
        "480.00",
    )


def test_a_table_the_page_does_not_have_is_a_404(client, coordinator, audited):
    client.force_login(coordinator)
    for export in ("csv", "xlsx"):
        response = client.get("/dashboards/compliance/", {"export": export, "table": "cases-by-nothing"})
        assert response.status_code == 404
    assert client.get("/dashboards/compliance/", {"export": "csv"})["Content-Disposition"] == (
        'attachment; filename="compliance-by-agency.csv"'
    )


def test_an_agency_name_a_spreadsheet_would_run_is_exported_as_text(client, coordinator, audited):
    AgencyFactory(name="=cmd|' /C calc'!A0")
    client.force_login(coordinator)
    assert "'=cmd|' /C calc'!A0" in [row["Agency"] for row in league(client)]
    response = client.get("/dashboards/compliance/", {"export": "xlsx", "table": "compliance-by-agency"})
    names = [row[0] for row in load_workbook(io.BytesIO(response.content)).active.values]
    assert "'=cmd|' /C calc'!A0" in names


def test_the_compliance_tables_export_as_xlsx(client, analyst, audited):
    client.force_login(analyst)
    response = client.get("/dashboards/compliance/", {"export": "xlsx", "table": "cases-by-rule"})
    assert response["Content-Disposition"] == 'attachment; filename="cases-by-rule.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("Agency", "Pay rate above the cap", "Charge rate above the cap")
    assert sorted((r[0], r[1], r[2], r[-1]) for r in rows[1:]) == [
        ("Alpha Locums Ltd", 1, 1, 2),
        ("Beta Social Care Staffing Ltd", 1, 1, 2),
    ]


# --- Query counts ---------------------------------------------------------------------------------------------------


def more_data(versions):
    """Four more agencies, each with a placement at each of three authorities and two months of lines."""
    for n in range(4):
        agency = AgencyFactory(name=f"Extra Agency {n} Ltd")
        for code in ("E08000025", "E08000026", "E08000029"):
            placement = PlacementFactory(
                agency=agency, authority=authority(code), start_date=date(2018, 11, 5), pay_rate="26.00"
            )
            week_of_work(placement, date(2019, 1, 7))
            week_of_work(placement, date(2019, 2, 4))
    audit_perform(run_id=AuditRunFactory(trigger="test").pk)
    summaries_refresh()


# Each page: the request's savepoint and its release (ATOMIC_REQUESTS inside the test's transaction), the session
# and its user (4 in all), then its own queries, listed here.
QUERIES = {
    # authorities (the filter's choices); roles; by month; by role; the role's caps; the summaries' state
    ("coordinator", "/dashboards/rates/"): 10,
    # the user's authority (its only choice besides the region); roles; by month; by role; caps; state
    ("council_user", "/dashboards/rates/"): 10,
    # authorities; agencies; cases by agency; lines by agency; state
    ("coordinator", "/dashboards/compliance/"): 9,
    # the user's authority; agencies; cases by agency (at it); lines by agency (at it); state
    ("council_user", "/dashboards/compliance/"): 9,
    # authorities (or the user's own); roles; the first version; pre-cap rates; spend by month; by authority; the
    # region's total; state
    ("coordinator", "/dashboards/cost/"): 12,
    ("council_user", "/dashboards/cost/"): 12,
}


@pytest.mark.parametrize(("persona", "page"), list(QUERIES))
def test_a_page_makes_the_same_queries_whatever_the_number_of_rows(
    client, request, persona, page, audited, versions, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(persona))
    with django_assert_num_queries(QUERIES[persona, page]):
        assert client.get(page).status_code == 200
    more_data(versions)
    with django_assert_num_queries(QUERIES[persona, page]):
        assert client.get(page).status_code == 200


def test_more_data_does_add_rows(client, coordinator, audited, versions):
    """The query-count test above is only worth something if the second page has more to show."""
    client.force_login(coordinator)
    before = len(league(client))
    more_data(versions)
    assert len(league(client)) == before + 4
    rows = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "export": "csv"}))
    assert [row[0] for row in rows[1:]] == ["2019-01", "2019-02"]
    assert Decimal(rows[1][2]) > Decimal("130.00")


def test_a_month_without_timesheets_is_a_gap_not_a_line(client, coordinator, region):
    work(region["solihull_a"], date(2019, 3, 4))  # nothing in February
    summaries_refresh()
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/rates/", {"role": "SW", "authority": "E08000029", "export": "csv"}))
    assert [row[0] for row in rows[1:]] == ["2019-01", "2019-03"]  # the table lists months with work
    body = client.get("/dashboards/rates/", {"role": "SW", "authority": "E08000029"}).content.decode()
    pay_chart = body.split("<svg")[1]
    # January and March are two runs of the average's line, never joined across February
    assert pay_chart.count('class="s0 line"') == 2


def test_a_council_following_a_link_without_an_authority_sees_its_own_and_the_form_says_so(
    client, council_user, region
):
    summaries_refresh()
    client.force_login(council_user)
    body = client.get("/dashboards/rates/", {"role": "SW"}).content.decode()
    assert '<option value="E08000029" selected>Solihull</option>' in body
    assert "Showing <strong>Solihull</strong>" in body
