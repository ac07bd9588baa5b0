"""Filing the DfE return (SPEC §5): frozen as filed, once per council and quarter, a later change shown as a difference;
through the service, the API (`dfe-returns/file/`, `dfe-returns/filed/`) and the page's confirmation."""

import csv
import html
import io
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

import pytest
from openpyxl import load_workbook

from dfe import services
from dfe.models import FiledReturn
from dfe.returns import Quarter
from dfe.selectors import differences, filings_visible_to, live_return_json
from dfe.services import dfe_return_file
from tests.api.test_reference_api import token_client
from tests.dfe.conftest import work
from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

Q1 = Quarter(2025, 1)
FILE = "/api/v1/dfe-returns/file/"
FILED = "/api/v1/dfe-returns/filed/"
PAGE = "/dfe-returns/"
SOLIHULL = "E08000029"


def later_work(quarter_data, solihull, agency_a):
    """After filing: a corrected February (7.5 more hours on SW5001's placement) and a placement starting in March."""
    work(quarter_data["placements"]["ends_in_q"], date(2025, 2, 10), "7.50", "35.00")
    return PlacementFactory(
        agency=agency_a, authority=solihull, worker__swe_number="SW5010", start_date=date(2025, 3, 3)
    )


def current_quarter():
    return Quarter.containing(timezone.localdate())


# --- The differences on their own (no database)


FILED_JSON = {
    "placements": [{"placement": 1, "hourly_pay": "26.00"}, {"placement": 2, "hourly_pay": "28.00"}],
    "monthly_costs": [{"month": "2025-01", "hours": "7.50", "total_cost": "262.50"}],
    "agencies": [{"agency_id": 7, "agency": "Alpha Locums Ltd", "breaches": 1}],
}


@pytest.mark.django_db(False)
def test_the_same_return_has_no_differences():
    assert all(
        entry == {"added": [], "removed": [], "changed": []} for entry in differences(FILED_JSON, FILED_JSON).values()
    )


@pytest.mark.django_db(False)
def test_differences_list_rows_added_removed_and_changed_by_each_sections_key():
    live = {
        "placements": [{"placement": 2, "hourly_pay": "29.50"}, {"placement": 3, "hourly_pay": "30.00"}],
        "monthly_costs": [{"month": "2025-01", "hours": "15.00", "total_cost": "525.00"}],
        "agencies": [{"agency_id": 7, "agency": "Alpha Locums Group", "breaches": 1}],
    }
    diff = differences(FILED_JSON, live)
    assert diff["placements"] == {
        "added": [{"placement": 3, "hourly_pay": "30.00"}],
        "removed": [{"placement": 1, "hourly_pay": "26.00"}],
        "changed": [{"key": 2, "fields": [{"field": "hourly_pay", "filed": "28.00", "now": "29.50"}]}],
    }
    assert diff["monthly_costs"]["changed"] == [
        {
            "key": "2025-01",
            "fields": [
                {"field": "hours", "filed": "7.50", "now": "15.00"},
                {"field": "total_cost", "filed": "262.50", "now": "525.00"},
            ],
        }
    ]
    # An agency renamed is the same agency (by id), with a new name.
    assert diff["agencies"] == {
        "added": [],
        "removed": [],
        "changed": [
            {"key": 7, "fields": [{"field": "agency", "filed": "Alpha Locums Ltd", "now": "Alpha Locums Group"}]}
        ],
    }
    assert diff["breaches"] == diff["sign_offs"] == diff["compliance"] == {"added": [], "removed": [], "changed": []}


@pytest.mark.django_db(False)
def test_a_field_the_return_gained_after_filing_is_not_a_change():
    live = {
        "placements": [
            {"placement": 1, "hourly_pay": "26.00", "new_field": "x"},
            {"placement": 2, "hourly_pay": "28.00"},
        ]
    }
    assert differences(FILED_JSON, live)["placements"]["changed"] == []


# --- The service


def test_filing_stores_the_return_as_the_api_gives_it(quarter_data, solihull, council_user):
    before = token_client(council_user).get("/api/v1/dfe-returns/", {"quarter": "2025-Q1"}).json()
    filing = dfe_return_file(authority=solihull, quarter="2025-Q1", by=council_user, note="  Checked by J. Smith ")
    stored = FiledReturn.objects.get()
    assert (stored.authority, stored.quarter, stored.filed_by, stored.note) == (
        solihull,
        "2025-Q1",
        council_user,
        "Checked by J. Smith",
    )
    assert stored.pk == filing.pk
    assert {**stored.filed, "generated_at": None} == {**before, "generated_at": None}


def test_filing_freezes_the_return_and_the_differences_show_exactly_what_changed(
    quarter_data, solihull, council_user, agency_a
):
    filing = dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    filed = FiledReturn.objects.get().filed
    placement = later_work(quarter_data, solihull, agency_a)

    assert FiledReturn.objects.get().filed == filed
    assert filed["monthly_costs"][1] == {
        "month": "2025-02",
        "placements": 1,
        "hours": "7.00",
        "pay_total": "182.00",
        "total_cost": "245.00",
    }
    diff = differences(filing.filed, live_return_json(authority=solihull, quarter=Q1))
    assert [row["placement"] for row in diff["placements"]["added"]] == [placement.pk]
    assert diff["placements"]["added"][0]["worker_swe_number"] == "SW5010"
    assert diff["placements"]["removed"] == diff["placements"]["changed"] == []
    # 7.5 more hours at £26.00 pay and £35.00 charge.
    assert diff["monthly_costs"] == {
        "added": [],
        "removed": [],
        "changed": [
            {
                "key": "2025-02",
                "fields": [
                    {"field": "hours", "filed": "7.00", "now": "14.50"},
                    {"field": "pay_total", "filed": "182.00", "now": "377.00"},
                    {"field": "total_cost", "filed": "245.00", "now": "507.50"},
                ],
            }
        ],
    }
    for section in ("breaches", "sign_offs", "agencies", "compliance"):
        assert diff[section] == {"added": [], "removed": [], "changed": []}, section


def test_filing_twice_is_refused_naming_who_filed_it_and_when_and_one_row_is_stored(
    quarter_data, solihull, council_user, coordinator
):
    council_user.first_name, council_user.last_name = "Jo", "Bloggs"
    council_user.save()
    first = dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    when = timezone.localtime(first.filed_at)
    with pytest.raises(ValidationError) as refused:
        dfe_return_file(authority=solihull, quarter=Q1, by=coordinator, note="again")
    assert refused.value.messages == [
        f"The 2025-Q1 return of Solihull was already filed by Jo Bloggs on {when:%-d %B %Y at %H:%M}; "
        "the filed return is not changed."
    ]
    assert list(FiledReturn.objects.values_list("filed_by", "note")) == [(council_user.pk, "")]


def test_two_filings_at_once_store_one_and_the_second_hears_who_filed_first(
    quarter_data, solihull, council_user, coordinator, monkeypatch
):
    first = dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    # The second looked before the first was stored: only the unique constraint stands between them.
    real, looks = services.filing_of, []

    def first_look_misses(**kwargs):
        looks.append(kwargs)
        return None if len(looks) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "filing_of", first_look_misses)
    with pytest.raises(ValidationError, match="already filed by solihull"):
        dfe_return_file(authority=solihull, quarter=Q1, by=coordinator)
    assert list(FiledReturn.objects.values_list("pk", flat=True)) == [first.pk]


def test_a_quarter_that_has_not_ended_is_refused_saying_when_it_ends(solihull, council_user):
    quarter = current_quarter()
    with pytest.raises(ValidationError) as refused:
        dfe_return_file(authority=solihull, quarter=quarter, by=council_user)
    assert refused.value.message_dict == {
        "quarter": [f"{quarter} ends on {quarter.last_day:%-d %B %Y}: file it after."]
    }
    assert not FiledReturn.objects.exists()


@pytest.mark.parametrize("persona", ["other_council_user", "analyst", "agency_user"])
def test_only_the_council_itself_or_the_coordinator_may_file(persona, request, solihull):
    with pytest.raises(PermissionDenied):
        dfe_return_file(authority=solihull, quarter=Q1, by=request.getfixturevalue(persona))
    assert not FiledReturn.objects.exists()


def test_the_coordinator_files_any_councils_return(solihull, coordinator):
    assert dfe_return_file(authority=solihull, quarter=Q1, by=coordinator).filed_by == coordinator


def test_the_database_refuses_to_change_or_delete_a_filed_return(solihull, council_user):
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    with pytest.raises(DatabaseError), transaction.atomic():
        FiledReturn.objects.update(note="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        FiledReturn.objects.all().delete()
    assert FiledReturn.objects.get().note == ""


def test_a_council_sees_its_own_filings_only(
    solihull, coventry, council_user, other_council_user, coordinator, analyst
):
    ours = dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    theirs = dfe_return_file(authority=coventry, quarter=Q1, by=other_council_user)
    assert list(filings_visible_to(council_user)) == [ours]
    assert list(filings_visible_to(other_council_user)) == [theirs]
    assert set(filings_visible_to(analyst)) == set(filings_visible_to(coordinator)) == {ours, theirs}


def test_an_agency_sees_no_filing(solihull, council_user, agency_user):
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    assert not filings_visible_to(agency_user).exists()


# --- The API


def test_a_council_files_through_the_api_and_gets_the_filing_back(quarter_data, council_user):
    response = token_client(council_user).post(
        FILE, {"authority": SOLIHULL, "quarter": "2025-Q1", "note": "Checked"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"authority", "quarter", "filed_by", "filed_at", "note", "return"}
    assert (body["authority"]["code"], body["quarter"], body["filed_by"], body["note"]) == (
        SOLIHULL,
        "2025-Q1",
        "solihull",
        "Checked",
    )
    assert body["return"] == FiledReturn.objects.get().filed
    assert body["return"]["total_cost"] == "827.50"


def test_filing_again_through_the_api_is_a_400_and_changes_nothing(quarter_data, council_user, coordinator):
    token_client(council_user).post(FILE, {"quarter": "2025-Q1"}, format="json")
    response = token_client(coordinator).post(FILE, {"authority": SOLIHULL, "quarter": "2025-Q1"}, format="json")
    assert response.status_code == 400
    [message] = response.json()["non_field_errors"]
    assert message.startswith("The 2025-Q1 return of Solihull was already filed by solihull on ")
    assert message.endswith("; the filed return is not changed.")
    assert FiledReturn.objects.count() == 1


def test_filing_a_quarter_not_ended_through_the_api_is_a_400(council_user):
    quarter = current_quarter()
    response = token_client(council_user).post(FILE, {"quarter": str(quarter)}, format="json")
    assert response.status_code == 400
    assert response.json() == {"quarter": [f"{quarter} ends on {quarter.last_day:%-d %B %Y}: file it after."]}


def test_a_bad_quarter_or_none_is_a_400(council_user):
    client = token_client(council_user)
    assert "is not a quarter" in client.post(FILE, {"quarter": "2025-Q9"}, format="json").json()["quarter"][0]
    assert client.post(FILE, {}, format="json").json() == {"quarter": ["This field is required."]}


def test_another_council_can_neither_file_nor_read_a_filing_of_solihull(quarter_data, council_user, other_council_user):
    client = token_client(other_council_user)
    assert client.post(FILE, {"authority": SOLIHULL, "quarter": "2025-Q1"}, format="json").status_code == 404
    token_client(council_user).post(FILE, {"quarter": "2025-Q1"}, format="json")
    assert client.get(FILED, {"authority": SOLIHULL, "quarter": "2025-Q1"}).status_code == 404
    assert FiledReturn.objects.count() == 1


@pytest.mark.parametrize("persona", ["agency_user", "analyst"])
def test_agencies_and_analysts_may_not_file(persona, request, quarter_data):
    client = token_client(request.getfixturevalue(persona))
    assert client.post(FILE, {"authority": SOLIHULL, "quarter": "2025-Q1"}, format="json").status_code == 403
    assert not FiledReturn.objects.exists()


def test_an_agency_may_not_read_a_filing(council_user, agency_user):
    token_client(council_user).post(FILE, {"quarter": "2025-Q1"}, format="json")
    assert token_client(agency_user).get(FILED, {"authority": SOLIHULL, "quarter": "2025-Q1"}).status_code == 403


def test_the_filing_reads_back_with_the_differences_from_today(quarter_data, solihull, council_user, analyst, agency_a):
    token_client(council_user).post(FILE, {"quarter": "2025-Q1"}, format="json")
    placement = later_work(quarter_data, solihull, agency_a)
    body = token_client(analyst).get(FILED, {"authority": "334", "quarter": "2025-Q1"}).json()
    assert body["return"] == FiledReturn.objects.get().filed
    assert body["return"]["total_cost"] == "827.50"  # as filed, not today's 1,090.00
    assert [row["placement"] for row in body["differences"]["placements"]["added"]] == [placement.pk]
    assert [change["key"] for change in body["differences"]["monthly_costs"]["changed"]] == ["2025-02"]
    assert body["differences"]["breaches"] == {"added": [], "removed": [], "changed": []}


def test_a_quarter_not_filed_is_a_404(council_user):
    assert token_client(council_user).get(FILED, {"quarter": "2025-Q1"}).status_code == 404


# --- The page


def test_the_page_offers_to_file_an_ended_quarter_and_the_confirmation_files_it(client, quarter_data, council_user):
    client.force_login(council_user)
    page = client.get(PAGE, {"quarter": "2025-Q1"}).content.decode()
    assert "Not filed yet" in page
    assert f'href="/dfe-returns/file/?authority={SOLIHULL}&amp;quarter=2025-Q1">File this return</a>' in page

    confirm = client.get("/dfe-returns/file/", {"authority": SOLIHULL, "quarter": "2025-Q1"}).content.decode()
    assert "<h1>File the DfE return: Solihull, 2025-Q1</h1>" in confirm
    assert "The return is frozen as filed." in confirm and "It cannot be changed" in confirm
    assert '<label for="id_note">Note <span class="muted">(optional)</span></label>' in confirm
    assert not FiledReturn.objects.exists()  # opening the confirmation files nothing

    response = client.post(
        f"/dfe-returns/file/?authority={SOLIHULL}&quarter=2025-Q1", {"note": "Checked by J. Smith"}, follow=True
    )
    assert response.redirect_chain == [(f"/dfe-returns/?authority={SOLIHULL}&quarter=2025-Q1", 302)]
    page = html.unescape(response.content.decode())
    filing = FiledReturn.objects.get()
    assert filing.note == "Checked by J. Smith"
    assert "Solihull's DfE return for 2025-Q1 is filed, by solihull on" in page
    assert f"Filed by solihull on {timezone.localtime(filing.filed_at):%-d %B %Y at %H:%M}" in page
    assert "No changes since it was filed." in page
    assert "File this return" not in page


def test_the_page_lists_the_changes_since_filing(client, quarter_data, solihull, council_user, agency_a):
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    later_work(quarter_data, solihull, agency_a)
    client.force_login(council_user)
    page = client.get(PAGE, {"quarter": "2025-Q1"}).content.decode()
    changes = page[page.index('<h2 id="changes-title">') : page.index('<h2 id="placements-title">Placements')]
    assert "No changes since it was filed." not in changes
    assert "<h3>Placements</h3>" in changes and "Added since it was filed (1)" in changes and "SW5010" in changes
    assert "<h3>Monthly cost</h3>" in changes
    assert '<th scope="row" rowspan="3">2025-02</th><td>Hours</td><td>7.00</td><td>14.50</td>' in changes
    assert "<td>Total cost (£)</td><td>245.00</td><td>507.50</td>" in changes
    assert "<h3>Breaches</h3>" not in changes


def test_the_return_as_filed_downloads_as_it_was_filed(client, quarter_data, solihull, council_user, agency_a):
    client.force_login(council_user)
    live_before = client.get(PAGE, {"quarter": "2025-Q1", "export": "csv"}).content
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user, note="Checked")
    later_work(quarter_data, solihull, agency_a)

    response = client.get(PAGE, {"quarter": "2025-Q1", "export": "csv", "version": "filed"})
    assert response["Content-Disposition"] == 'attachment; filename="dfe-return-e08000029-2025-q1-filed.csv"'
    assert response.content == live_before
    live_now = client.get(PAGE, {"quarter": "2025-Q1", "export": "csv"}).content
    assert live_now != live_before
    rows = list(csv.DictReader(io.StringIO(live_now.decode())))
    assert "SW5010" in [row["Worker registration number (SWE)"] for row in rows]

    response = client.get(PAGE, {"quarter": "2025-Q1", "export": "xlsx", "version": "filed"})
    book = load_workbook(io.BytesIO(response.content))
    cover = {row[0]: row[1] for row in book["Return"].iter_rows(values_only=True)}
    assert (cover["Filed by"], cover["Note"], cover["Total cost in the quarter (£)"]) == ("solihull", "Checked", 827.5)
    assert [row[4] for row in list(book["Monthly cost"].iter_rows(values_only=True))[1:]] == [262.5, 245.0, 320.0]
    assert len(list(book["Placements"].iter_rows())) == 5  # the 4 filed, not SW5010


def test_the_return_as_filed_is_a_404_before_it_is_filed(client, council_user):
    client.force_login(council_user)
    assert client.get(PAGE, {"quarter": "2025-Q1", "export": "csv", "version": "filed"}).status_code == 404


def test_the_current_quarter_says_when_it_can_be_filed_and_its_confirmation_refuses(client, council_user):
    quarter = current_quarter()
    client.force_login(council_user)
    page = client.get(PAGE, {"quarter": str(quarter)}).content.decode()
    assert f"{quarter} ends on {quarter.last_day:%-d %B %Y}: the return can be filed after that." in page
    assert "File this return" not in page
    response = client.post(f"/dfe-returns/file/?authority={SOLIHULL}&quarter={quarter}", {"note": ""})
    assert response.status_code == 400
    assert f"{quarter} ends on {quarter.last_day:%-d %B %Y}: file it after." in response.content.decode()
    assert not FiledReturn.objects.exists()


def test_a_filed_quarters_confirmation_goes_back_to_the_return(client, solihull, council_user):
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    client.force_login(council_user)
    response = client.post(f"/dfe-returns/file/?authority={SOLIHULL}&quarter=2025-Q1", {"note": "again"})
    assert response.status_code == 302 and response["Location"] == f"/dfe-returns/?authority={SOLIHULL}&quarter=2025-Q1"
    assert FiledReturn.objects.get().note == ""


def test_another_council_gets_404_for_the_confirmation_and_the_filed_download(
    client, solihull, council_user, other_council_user
):
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    client.force_login(other_council_user)
    assert client.get("/dfe-returns/file/", {"authority": SOLIHULL, "quarter": "2025-Q1"}).status_code == 404
    assert client.post(f"/dfe-returns/file/?authority={SOLIHULL}&quarter=2025-Q1").status_code == 404
    assert (
        client.get(PAGE, {"authority": SOLIHULL, "quarter": "2025-Q1", "export": "csv", "version": "filed"}).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["agency_user", "analyst"])
def test_agencies_and_analysts_get_403_for_the_confirmation(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/dfe-returns/file/", {"authority": SOLIHULL, "quarter": "2025-Q1"}).status_code == 403
    assert client.post(f"/dfe-returns/file/?authority={SOLIHULL}&quarter=2025-Q1").status_code == 403
    assert not FiledReturn.objects.exists()


def test_an_analyst_reads_the_filing_but_is_not_offered_to_file(client, quarter_data, solihull, council_user, analyst):
    client.force_login(analyst)
    page = client.get(PAGE, {"authority": SOLIHULL, "quarter": "2025-Q1"}).content.decode()
    assert "Not filed yet" in page and "File this return" not in page
    dfe_return_file(authority=solihull, quarter=Q1, by=council_user)
    page = client.get(PAGE, {"authority": SOLIHULL, "quarter": "2025-Q1"}).content.decode()
    assert "Filed by solihull on" in page and "No changes since it was filed." in page
