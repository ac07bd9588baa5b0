"""The DfE return through the API (`dfe-returns/`) and the page (`/dfe-returns/`): who may read whose, the files."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from agencies.models import Agency
from compliance.models import Breach
from dfe.returns import Quarter
from placements.models import CapException
from tests.api.test_reference_api import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/dfe-returns/"


def test_a_council_reads_its_own_return_as_json(council_user, quarter_data):
    body = token_client(council_user).get(URL, {"authority": "E08000029", "quarter": "2025-Q1"}).json()
    assert body["authority"] == {"code": "E08000029", "la_code": "334", "name": "Solihull"}
    assert (body["quarter"], body["period_start"], body["period_end"]) == ("2025-Q1", "2025-01-01", "2025-03-31")
    assert [row["worker_swe_number"] for row in body["placements"]] == ["SW5003", "SW5007", "SW5001", "SW5002"]
    first = body["placements"][2]
    assert (first["role"], first["hourly_pay"], first["start_date"], first["end_date"], first["project_team"]) == (
        "SW",
        "26.00",
        "2024-11-01",
        "2025-02-15",
        True,
    )
    assert len(body["breaches"]) == 2 and body["breaches"][0]["excess_in_quarter"] == "3.75"
    assert [row["signed_by_dcs"] for row in body["sign_offs"]][0] == "Dr A. Director"
    assert [row["agency"] for row in body["agencies"]] == [
        "Alpha Locums Ltd",
        "Beta Social Care Staffing Ltd",
        "Gamma Interim Ltd",
    ]
    assert [row["total_cost"] for row in body["monthly_costs"]] == ["262.50", "245.00", "320.00"]
    assert body["total_cost"] == "827.50"


def test_a_council_without_an_authority_gets_its_own_and_may_use_the_dfe_code(council_user, quarter_data):
    client = token_client(council_user)
    assert client.get(URL, {"quarter": "2025-Q1"}).json()["authority"]["code"] == "E08000029"
    assert client.get(URL, {"authority": "334", "quarter": "2025-Q1"}).json()["authority"]["code"] == "E08000029"


def test_the_quarter_defaults_to_the_last_complete_one(council_user):
    assert token_client(council_user).get(URL).json()["quarter"] == str(Quarter.last_complete())


def test_another_councils_return_is_a_404(other_council_user, quarter_data):
    response = token_client(other_council_user).get(URL, {"authority": "E08000029", "quarter": "2025-Q1"})
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["agency_user", "other_agency_user"])
def test_agencies_may_not_read_a_return(persona, request):
    client = token_client(request.getfixturevalue(persona))
    assert client.get(URL, {"authority": "E08000029", "quarter": "2025-Q1"}).status_code == 403


@pytest.mark.parametrize("persona", ["coordinator", "analyst"])
def test_the_coordinator_and_analysts_read_any_councils_return(persona, request, quarter_data):
    client = token_client(request.getfixturevalue(persona))
    assert client.get(URL, {"authority": "E08000026", "quarter": "2025-Q1"}).json()["authority"]["name"] == "Coventry"
    response = client.get(URL, {"quarter": "2025-Q1"})
    assert response.status_code == 400
    assert "authority" in response.json()


@pytest.mark.parametrize(
    ("quarter", "message"),
    [
        ("2025-Q5", "is not a quarter: give it as YYYY-QN, e.g. 2025-Q1"),
        ("2999-Q1", "has not begun yet"),
        ("0000-Q1", "0000-Q1 is before the Agency Protocol began: choose a quarter from 2015-Q1"),
        ("2014-Q4", "2014-Q4 is before the Agency Protocol began"),
    ],
)
def test_a_bad_quarter_is_a_400_saying_why(council_user, quarter, message):
    response = token_client(council_user).get(URL, {"quarter": quarter})
    assert response.status_code == 400
    assert message in response.json()["quarter"][0]


def test_an_unknown_authority_is_a_400(coordinator):
    response = token_client(coordinator).get(URL, {"authority": "E99999999", "quarter": "2025-Q1"})
    assert response.status_code == 400
    assert response.json() == {"authority": ["Unknown authority “E99999999”."]}


def test_format_csv_gives_the_whole_return_and_section_picks_one(council_user, quarter_data):
    client = token_client(council_user)
    response = client.get(URL, {"quarter": "2025-Q1", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="dfe-return-e08000029-2025-q1.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0])[:3] == ["section", "Placement", "Worker registration number (SWE)"]
    # 4 placements, 2 breach cases, 2 sign-offs, 3 agencies, 3 months, 7 rules: in the return's order.
    assert [row["section"] for row in rows] == ["placements"] * 4 + ["breaches"] * 2 + ["sign_offs"] * 2 + [
        "agencies"
    ] * 3 + ["monthly_costs"] * 3 + ["compliance"] * 7
    placements = [row for row in rows if row["section"] == "placements"]
    assert [row["Worker registration number (SWE)"] for row in placements] == ["SW5003", "SW5007", "SW5001", "SW5002"]
    third = placements[2]
    assert (third["Role type"], third["Hourly pay (£)"], third["Project team"]) == ("SW", "26.00", "yes")
    assert (third["Start date"], third["End date"], placements[3]["End date"]) == ("2024-11-01", "2025-02-15", "")
    assert third["Total cost (£)"] == ""  # a monthly-cost column: empty on a placement's row
    breach = next(row for row in rows if row["section"] == "breaches")
    assert (breach["Agency"], breach["Excess in the quarter (£)"], breach["Cap (£/h)"]) == (
        "Alpha Locums Ltd",
        "3.75",
        "25.50",
    )
    months = [row["Total cost (£)"] for row in rows if row["section"] == "monthly_costs"]
    assert months == ["262.50", "245.00", "320.00"]
    response = client.get(URL, {"quarter": "2025-Q1", "format": "csv", "section": "monthly_costs"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Month", "Placements with work", "Hours", "Pay (£)", "Total cost (£)"],
        ["2025-01", "1", "7.50", "195.00", "262.50"],
        ["2025-02", "1", "7.00", "182.00", "245.00"],
        ["2025-03", "1", "8.00", "224.00", "320.00"],
    ]


def test_an_unknown_section_is_a_400(council_user):
    response = token_client(council_user).get(URL, {"quarter": "2025-Q1", "format": "csv", "section": "everything"})
    assert response.status_code == 400
    assert "section" in response.json()


def test_text_that_a_spreadsheet_would_run_is_written_with_a_quote(council_user, quarter_data):
    breach = quarter_data["breaches"]["detected_in_q"]
    Breach.objects.filter(pk=breach.pk).update(description='=HYPERLINK("http://evil.example","Click")')
    exception = quarter_data["exceptions"]["overlapping"]
    CapException.objects.filter(pk=exception.pk).update(reason="+44 7700 900123 agreed it")
    Agency.objects.filter(name="Gamma Interim Ltd").update(name="@Gamma Interim Ltd")
    client = token_client(council_user)
    rows = list(csv.DictReader(io.StringIO(client.get(URL, {"quarter": "2025-Q1", "format": "csv"}).content.decode())))
    assert [row["Description"] for row in rows if row["section"] == "breaches"] == [
        "",
        '\'=HYPERLINK("http://evil.example","Click")',
    ]
    assert [row["Reason"] for row in rows if row["section"] == "sign_offs"][0] == "'+44 7700 900123 agreed it"
    assert "'@Gamma Interim Ltd" in [row["Agency"] for row in rows if row["section"] == "agencies"]
    book = load_workbook(io.BytesIO(client.get(URL, {"quarter": "2025-Q1", "format": "xlsx"}).content))
    breaches = list(book["Breaches"].iter_rows(values_only=True))
    assert breaches[2][13] == '\'=HYPERLINK("http://evil.example","Click")'
    assert list(book["Sign-offs"].iter_rows(values_only=True))[1][8] == "'+44 7700 900123 agreed it"
    # Money stays a number.
    assert breaches[1][11] == 3.75


def test_format_xlsx_is_one_workbook_with_a_sheet_per_section(council_user, quarter_data):
    response = token_client(council_user).get(URL, {"quarter": "2025-Q1", "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Return",
        "Placements",
        "Breaches",
        "Sign-offs",
        "Agencies affecting compliance",
        "Monthly cost",
        "Compliance with each rule",
    ]
    sign_offs = list(book["Sign-offs"].iter_rows(values_only=True))
    assert sign_offs[0][6:8] == ("Signed by (director of children's services)", "Signed by (chief executive)")
    assert sign_offs[1][6:8] == ("Dr A. Director", "B. Chief")
    months = list(book["Monthly cost"].iter_rows(values_only=True))
    assert [row[4] for row in months[1:]] == [262.5, 245.0, 320.0]
    assert len(list(book["Placements"].iter_rows())) == 5


# --- the page


def test_a_council_opens_its_own_return_for_the_last_complete_quarter(client, council_user):
    client.force_login(council_user)
    page = client.get("/dfe-returns/").content.decode()
    assert f"DfE quarterly return: Solihull, {Quarter.last_complete()}" in page


def test_the_page_shows_every_section_and_its_downloads(client, council_user, quarter_data):
    client.force_login(council_user)
    page = client.get("/dfe-returns/", {"quarter": "2025-Q1"}).content.decode()
    for heading in ("Placements", "Breaches", "Sign-offs", "Agencies affecting compliance", "Monthly cost"):
        assert re.search(f"<h2[^>]*>{heading}", page)
    assert "SW5001" in page and "Dr A. Director" in page and "Gamma Interim Ltd" in page
    assert "export=csv" in page and "export=xlsx" in page
    assert "SW5006" not in page  # Coventry's


def test_the_page_downloads_a_section_or_the_whole_return_as_csv_and_as_xlsx(client, council_user, quarter_data):
    client.force_login(council_user)
    response = client.get("/dfe-returns/", {"quarter": "2025-Q1", "export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="dfe-return-e08000029-2025-q1.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["section"] for row in rows].count("breaches") == 2 and len(rows) == 21
    response = client.get("/dfe-returns/", {"quarter": "2025-Q1", "export": "csv", "section": "breaches"})
    assert response["Content-Disposition"] == 'attachment; filename="dfe-return-e08000029-2025-q1-breaches.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["Rule"] for row in rows] == ["pay_rate_above_cap", "manual"]
    response = client.get("/dfe-returns/", {"quarter": "2025-Q1", "export": "xlsx"})
    assert len(load_workbook(io.BytesIO(response.content)).sheetnames) == 7


def test_the_page_has_no_section_it_does_not_list(client, council_user):
    client.force_login(council_user)
    response = client.get("/dfe-returns/", {"quarter": "2025-Q1", "export": "csv", "section": "everything"})
    assert response.status_code == 404


def test_the_page_finds_the_authority_by_its_dfe_code_too(client, coordinator, quarter_data):
    client.force_login(coordinator)
    page = client.get("/dfe-returns/", {"authority": "334", "quarter": "2025-Q1"}).content.decode()
    assert "DfE quarterly return: Solihull, 2025-Q1" in page and "SW5001" in page
    assert '<option value="E08000029" selected>' in page
    assert client.get("/dfe-returns/", {"authority": "999", "quarter": "2025-Q1"}).status_code == 404


def test_a_council_asking_for_another_councils_page_gets_404(client, council_user):
    client.force_login(council_user)
    assert client.get("/dfe-returns/", {"authority": "E08000026", "quarter": "2025-Q1"}).status_code == 404


def test_an_agency_may_not_open_the_page(client, agency_user):
    client.force_login(agency_user)
    assert client.get("/dfe-returns/").status_code == 403


def test_the_coordinator_chooses_an_authority(client, coordinator, quarter_data):
    client.force_login(coordinator)
    page = client.get("/dfe-returns/").content.decode()
    assert "Choose an authority" in page
    page = client.get("/dfe-returns/", {"authority": "E08000026", "quarter": "2025-Q1"}).content.decode()
    assert "DfE quarterly return: Coventry, 2025-Q1" in page and "SW5006" in page


def test_a_bad_quarter_on_the_page_is_a_400_saying_why(client, council_user):
    client.force_login(council_user)
    response = client.get("/dfe-returns/", {"quarter": "2025-Q9"})
    assert response.status_code == 400
    assert "is not a quarter" in response.content.decode()


@pytest.mark.parametrize("persona", ["council_user", "coordinator"])
def test_a_quarter_before_the_protocol_on_the_page_is_a_400_saying_why(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/dfe-returns/", {"quarter": "0000-Q1"})
    assert response.status_code == 400
    assert "0000-Q1 is before the Agency Protocol began" in response.content.decode()
