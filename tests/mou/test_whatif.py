"""The coordinator's what-if for a draft MoU version (SPEC §5): exactly the placements above the draft's caps, the
change in annual cost, the comparison with the caps binding now, the page, the API and who may see them."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from mou.models import MouVersion
from mou.whatif import ANNUAL_HOURS, what_if
from tests.api.test_reference_api import token_client
from tests.factories import CapExceptionFactory, CapFactory, MouVersionFactory, PlacementFactory, authority, role

pytestmark = pytest.mark.django_db

ON = date(2026, 11, 2)


@pytest.fixture
def in_force():
    version = MouVersionFactory(
        name="In force 2025", effective_from=date(2025, 1, 1), status=MouVersion.Status.IN_FORCE
    )
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("27.00"), max_charge_rate=Decimal("36.50"))
    CapFactory(
        version=version,
        role=role("SW"),
        engagement_type="limited",
        max_pay_rate=Decimal("28.50"),
        max_charge_rate=Decimal("38.50"),
    )
    CapFactory(version=version, role=role("TM"), max_pay_rate=Decimal("40.00"), max_charge_rate=Decimal("54.00"))
    return version


@pytest.fixture
def draft(in_force):
    """Lower SW caps, a higher limited-company SW cap, no charge cap for SSW, and no TM cap at all."""
    version = MouVersionFactory(name="Draft 2027", effective_from=date(2027, 4, 1), status=MouVersion.Status.DRAFT)
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("34.00"))
    CapFactory(
        version=version,
        role=role("SW"),
        engagement_type="limited",
        max_pay_rate=Decimal("26.50"),
        max_charge_rate=Decimal("36.00"),
    )
    CapFactory(version=version, role=role("SSW"), max_pay_rate=Decimal("28.00"), max_charge_rate=None)
    return version


def place(name, **kwargs):
    kwargs.setdefault("start_date", date(2026, 1, 5))
    kwargs.setdefault("role", role("SW"))
    return PlacementFactory(worker__swe_number=name, **kwargs)


@pytest.fixture
def region(draft, agency_a, agency_b, solihull, coventry):
    """Placements running on ON, each on one side of a boundary of the draft's caps."""
    return {
        # Within: exactly at the draft's caps.
        "at_caps": place("SW1001", agency=agency_a, pay_rate=Decimal("25.00"), charge_rate=Decimal("34.00")),
        # A penny over the draft's pay cap; within the caps now.
        "penny_over": place("SW1002", agency=agency_a, pay_rate=Decimal("25.01"), charge_rate=Decimal("33.00")),
        # Charge £1 over the draft's charge cap (umbrella: the any-engagement cap applies).
        "charge_over": place(
            "SW1003",
            agency=agency_b,
            engagement_type="umbrella",
            pay_rate=Decimal("24.00"),
            charge_rate=Decimal("35.00"),
        ),
        # Limited company at the limited cap, above the any-engagement cap: within (engagement-specific wins).
        "limited_within": place(
            "SW1004",
            agency=agency_b,
            engagement_type="limited",
            pay_rate=Decimal("26.50"),
            charge_rate=Decimal("36.00"),
            authority=coventry,
        ),
        # Limited company 50p over the limited pay cap.
        "limited_over": place(
            "SW1005",
            agency=agency_b,
            engagement_type="limited",
            pay_rate=Decimal("27.00"),
            charge_rate=Decimal("36.00"),
            authority=coventry,
        ),
        # Above the caps now and under the draft: pay £3 over, charge £4 over the draft's.
        "over_both": place("SW1006", agency=agency_a, pay_rate=Decimal("28.00"), charge_rate=Decimal("38.00")),
        # SSW: the draft sets no charge cap, so only pay counts.
        "ssw_charge_only": place(
            "SW1007", agency=agency_a, role=role("SSW"), pay_rate=Decimal("28.00"), charge_rate=Decimal("80.00")
        ),
        # Above the TM cap now; the draft sets no TM cap: within it.
        "tm_now_only": place(
            "SW1008", agency=agency_b, role=role("TM"), pay_rate=Decimal("41.00"), charge_rate=Decimal("50.00")
        ),
        # Outside the MoU: never above a cap.
        "uncapped": place(
            "SW1009", agency=agency_a, role=role("SM"), pay_rate=Decimal("60.00"), charge_rate=Decimal("75.00")
        ),
        # Ended the day before, and starting the day after: not current.
        "ended": place("SW1010", agency=agency_a, pay_rate=Decimal("30.00"), end_date=date(2026, 11, 1)),
        "not_started": place("SW1011", agency=agency_a, pay_rate=Decimal("30.00"), start_date=date(2026, 11, 3)),
        # Ends on the day: still current.
        "ends_on_the_day": place(
            "SW1012", agency=agency_b, pay_rate=Decimal("26.00"), charge_rate=Decimal("30.00"), end_date=ON
        ),
    }


def test_it_lists_exactly_the_placements_above_the_drafts_caps(draft, region):
    result = what_if(version=draft, on=ON)
    above_draft = {p.worker_swe_number for p in result.placements if p.above_draft_cap}
    assert above_draft == {"SW1002", "SW1003", "SW1005", "SW1006", "SW1012"}


def test_the_list_also_holds_placements_above_the_caps_now_but_within_the_draft(draft, region):
    listed = {p.worker_swe_number: p for p in what_if(version=draft, on=ON).placements}
    assert set(listed) == {"SW1002", "SW1003", "SW1005", "SW1006", "SW1012", "SW1008"}
    assert listed["SW1008"].above_cap_now and not listed["SW1008"].above_draft_cap
    assert listed["SW1006"].above_cap_now and listed["SW1006"].above_draft_cap
    assert not listed["SW1002"].above_cap_now


def test_each_placement_carries_its_rate_the_draft_cap_and_the_excess(draft, region):
    listed = {p.worker_swe_number: p for p in what_if(version=draft, on=ON).placements}
    penny = listed["SW1002"]
    assert (penny.pay_rate, penny.draft_pay_cap, penny.pay_excess) == (
        Decimal("25.01"),
        Decimal("25.00"),
        Decimal("0.01"),
    )
    assert penny.charge_excess == Decimal("0.00")
    assert (penny.now_pay_cap, penny.now_charge_cap) == (Decimal("27.00"), Decimal("36.50"))
    limited = listed["SW1005"]
    assert (limited.draft_pay_cap, limited.pay_excess) == (Decimal("26.50"), Decimal("0.50"))
    both = listed["SW1006"]
    assert (both.pay_excess, both.charge_excess) == (Decimal("3.00"), Decimal("4.00"))


def test_the_annual_saving_is_the_larger_excess_times_1665_hours(draft, region):
    assert ANNUAL_HOURS == Decimal("1665")
    listed = {p.worker_swe_number: p for p in what_if(version=draft, on=ON).placements}
    assert listed["SW1002"].annual_change == Decimal("-16.65")  # 1p × 1,665
    assert listed["SW1003"].annual_change == Decimal("-1665.00")  # £1 charge
    assert listed["SW1005"].annual_change == Decimal("-832.50")  # 50p pay
    assert listed["SW1006"].annual_change == Decimal("-6660.00")  # max(£3 pay, £4 charge)
    assert listed["SW1012"].annual_change == Decimal("-1665.00")  # £1 pay
    assert listed["SW1008"].annual_change == Decimal("0.00")  # within the draft


def test_the_region_and_each_authority_see_the_change_in_annual_cost(draft, region):
    result = what_if(version=draft, on=ON)
    assert result.totals == {
        "current_placements": 10,  # 12 less the ended and the not-yet-started
        "above_cap_now": 2,  # SW1006, SW1008
        "above_draft_cap": 5,
        "newly_above_cap": 4,
        "no_longer_above_cap": 1,  # SW1008
        # (34 + 33 + 35 + 36 + 36 + 38 + 80 + 50 + 75 + 30) × 1,665
        "annual_cost": Decimal("447.00") * 1665,
        "annual_change": Decimal("-10839.15"),
    }
    by_authority = {row["authority"]: row for row in result.by_authority}
    assert set(by_authority) == {"E08000029", "E08000026"}
    assert by_authority["E08000026"]["annual_change"] == Decimal("-832.50")
    assert by_authority["E08000026"]["current_placements"] == 2
    assert by_authority["E08000029"]["annual_change"] == Decimal("-10006.65")


def test_by_role_and_by_agency(draft, region, agency_a, agency_b):
    result = what_if(version=draft, on=ON)
    by_role = {
        row["role"]: (row["current_placements"], row["above_draft_cap"], row["capped"]) for row in result.by_role
    }
    assert by_role == {"SW": (7, 5, True), "SSW": (1, 0, True), "TM": (1, 0, True), "SM": (1, 0, False)}
    assert [row["role"] for row in result.by_role] == ["SW", "SSW", "TM", "SM"]  # most junior first
    by_agency = {row["agency_name"]: row for row in result.by_agency}
    assert by_agency[agency_a.name]["above_draft_cap"] == 2  # SW1002, SW1006
    assert by_agency[agency_a.name]["annual_change"] == Decimal("-6676.65")
    assert by_agency[agency_b.name]["above_draft_cap"] == 3
    assert by_agency[agency_b.name]["no_longer_above_cap"] == 1
    # Largest saving first.
    assert [row["agency_name"] for row in result.by_agency] == [agency_a.name, agency_b.name]


def test_an_agency_with_nothing_above_a_cap_is_not_in_the_agency_table(draft, region):
    clean = PlacementFactory(pay_rate=Decimal("20.00"), charge_rate=Decimal("30.00"))
    assert clean.agency_id not in {row["agency"] for row in what_if(version=draft, on=ON).by_agency}


def test_a_live_cap_exception_is_shown_beside_the_placement(draft, region):
    CapExceptionFactory(placement=region["over_both"], valid_from=date(2026, 1, 1), valid_until=date(2027, 3, 31))
    CapExceptionFactory(placement=region["penny_over"], valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31))
    listed = {p.worker_swe_number: p for p in what_if(version=draft, on=ON).placements}
    assert listed["SW1006"].cap_exception_until == date(2027, 3, 31)
    assert listed["SW1002"].cap_exception_until is None  # lapsed


def test_a_placement_under_an_older_version_is_judged_now_by_that_one(draft, region):
    """ "Now" is the version binding each placement: one that started before a new version stays under its own
    until the new one binds existing placements."""
    newer = MouVersionFactory(
        name="Newer", effective_from=date(2026, 10, 1), binds_existing_from=date(2027, 1, 1), status="superseded"
    )
    CapFactory(version=newer, role=role("SW"), max_pay_rate=Decimal("20.00"), max_charge_rate=Decimal("30.00"))
    listed = {p.worker_swe_number: p for p in what_if(version=draft, on=ON).placements}
    assert listed["SW1002"].now_pay_cap == Decimal("27.00")  # started Jan 2026: still under "In force 2025"
    late = place("SW1013", pay_rate=Decimal("21.00"), charge_rate=Decimal("29.00"), start_date=date(2026, 10, 5))
    listed = {p.worker_swe_number: p for p in what_if(version=draft, on=ON).placements}
    assert listed["SW1013"].now_pay_cap == Decimal("20.00") and listed["SW1013"].above_cap_now
    assert not listed["SW1013"].above_draft_cap
    assert late.pk == listed["SW1013"].id


def test_a_published_version_has_no_what_if(in_force):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="for draft versions"):
        what_if(version=in_force, on=ON)


def test_the_what_if_takes_four_queries_however_many_placements(draft, region, django_assert_num_queries):
    for number in range(30):
        place(f"SW2{number:03d}", pay_rate=Decimal("26.00"))
    # 1. the published versions (the binding rule in SQL), 2. the tallies of the region, roles, agencies and
    # authorities (one GROUPING SETS query), 3. the placements above a cap, 4. the version in force.
    with django_assert_num_queries(4):
        result = what_if(version=draft, on=ON)
    assert result.totals["above_draft_cap"] == 35


# --- the pages


def test_the_versions_page_shows_drafts_to_the_coordinator_with_a_what_if_link(client, coordinator, draft):
    client.force_login(coordinator)
    page = client.get("/mou-versions/").content.decode()
    assert "Draft 2027" in page and "In force 2025" in page
    assert f"/mou-versions/{draft.pk}/what-if/" in page
    assert "25.00" in page


@pytest.mark.parametrize("persona", ["council_user", "agency_user"])
def test_councils_and_agencies_see_published_versions_only(client, persona, request, draft):
    client.force_login(request.getfixturevalue(persona))
    page = client.get("/mou-versions/").content.decode()
    assert "In force 2025" in page
    assert "Draft 2027" not in page and "what-if" not in page


@pytest.mark.parametrize("persona", ["coordinator", "analyst"])
def test_the_what_if_page_shows_the_tables_and_the_placements(client, persona, request, draft, region):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/mou-versions/{draft.pk}/what-if/?on={ON}")
    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("By role", "By authority", "By agency", "Placements above the caps"):
        assert heading in page
    for worker in ("SW1002", "SW1003", "SW1005", "SW1006", "SW1012", "SW1008"):
        assert worker in page
    assert "SW1001" not in page and "SW1010" not in page
    assert "1,665 hours" in page
    assert "-10,839.15" in page


@pytest.mark.parametrize("persona", ["council_user", "agency_user"])
def test_councils_and_agencies_may_not_open_a_what_if(client, persona, request, draft):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/mou-versions/{draft.pk}/what-if/").status_code == 403


def test_a_published_versions_what_if_page_says_it_is_for_drafts(client, coordinator, in_force):
    client.force_login(coordinator)
    response = client.get(f"/mou-versions/{in_force.pk}/what-if/")
    assert response.status_code == 200
    assert "The what-if is for draft versions" in response.content.decode()


def test_a_bad_date_is_a_400_with_the_form_error(client, coordinator, draft):
    client.force_login(coordinator)
    response = client.get(f"/mou-versions/{draft.pk}/what-if/?on=2026-13-45")
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_the_placement_list_downloads_whole_as_csv_and_xlsx(client, coordinator, draft, region):
    client.force_login(coordinator)
    slug = f"what-if-{draft.pk}-{ON}-placements"
    response = client.get(f"/mou-versions/{draft.pk}/what-if/?on={ON}&export=csv&table={slug}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["Worker (SWE)"] for row in rows} == {"SW1002", "SW1003", "SW1005", "SW1006", "SW1012", "SW1008"}
    penny = next(row for row in rows if row["Worker (SWE)"] == "SW1002")
    assert (penny["Pay £/h"], penny["Draft pay cap £/h"], penny["Pay excess £/h"]) == ("25.01", "25.00", "0.01")
    assert penny["Annual change (£)"] == "-16.65"
    response = client.get(
        f"/mou-versions/{draft.pk}/what-if/?on={ON}&export=xlsx&table=what-if-{draft.pk}-{ON}-by-authority"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Authority code", "Authority")
    assert {row[1]: row[-1] for row in rows[1:]} == {"Coventry": -832.5, "Solihull": -10006.65}


def test_the_what_if_page_paginates_the_placements(client, coordinator, draft):
    for number in range(55):
        place(f"SW3{number:03d}", pay_rate=Decimal("26.00"))
    client.force_login(coordinator)
    first = client.get(f"/mou-versions/{draft.pk}/what-if/?on={ON}").content.decode()
    second = client.get(f"/mou-versions/{draft.pk}/what-if/?on={ON}&page=2").content.decode()
    assert "Page 1 of 2" in first
    assert first.count(">SW3") == 50
    assert second.count(">SW3") == 5


# --- the API


def test_the_api_answers_the_coordinator_with_every_section(coordinator, draft, region):
    body = token_client(coordinator).get(f"/api/v1/mou-versions/{draft.pk}/what-if/?on={ON}").json()
    assert body["mou_version"]["id"] == draft.pk
    assert body["compared_with"]["name"] == "In force 2025"
    assert body["on"] == str(ON)
    assert body["annual_hours"] == "1665"
    assert body["totals"]["above_draft_cap"] == 5
    assert body["totals"]["annual_change"] == "-10839.15"
    assert {row["role"] for row in body["by_role"]} == {"SW", "SSW", "TM", "SM"}
    assert {row["authority"] for row in body["by_authority"]} == {"E08000029", "E08000026"}
    listed = {row["worker_swe_number"]: row for row in body["placements"]}
    assert set(listed) == {"SW1002", "SW1003", "SW1005", "SW1006", "SW1012", "SW1008"}
    assert (listed["SW1006"]["pay_excess"], listed["SW1006"]["charge_excess"]) == ("3.00", "4.00")
    assert listed["SW1006"]["draft_pay_cap"] == "25.00"
    assert listed["SW1006"]["annual_change"] == "-6660.00"
    assert listed["SW1006"]["authority"] == authority("E08000029").code


def test_the_api_answers_the_analyst(analyst, draft, region):
    assert token_client(analyst).get(f"/api/v1/mou-versions/{draft.pk}/what-if/").status_code == 200


@pytest.mark.parametrize("persona", ["council_user", "agency_user"])
def test_a_draft_is_invisible_to_councils_and_agencies_in_the_api(persona, request, draft):
    client = token_client(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/mou-versions/{draft.pk}/what-if/").status_code == 404


@pytest.mark.parametrize("persona", ["council_user", "agency_user"])
def test_councils_and_agencies_may_not_ask_for_a_published_versions_what_if(persona, request, in_force):
    client = token_client(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/mou-versions/{in_force.pk}/what-if/").status_code == 403


def test_the_api_refuses_a_what_if_of_a_published_version_and_a_bad_date(coordinator, draft, in_force):
    client = token_client(coordinator)
    response = client.get(f"/api/v1/mou-versions/{in_force.pk}/what-if/")
    assert response.status_code == 400
    assert "for draft versions" in response.json()["detail"][0]
    response = client.get(f"/api/v1/mou-versions/{draft.pk}/what-if/?on=yesterday")
    assert response.status_code == 400
    assert "on" in response.json()
