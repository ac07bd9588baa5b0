"""The rules the national agency rules add (SPEC §4 rules 7 and 8, and the cap's basis per version): each judged at
booking (`placements/check/`) and by the audit, with its numbers as data of the MoU version; references and project
teams scoped as the placements and councils they belong to."""

from datetime import date
from decimal import Decimal

import pytest

from compliance.models import Breach
from mou.models import MouVersion
from placements.models import Placement, ProjectTeam, Reference, Worker
from placements.services import (
    ReferenceInput,
    TeamMemberInput,
    placement_register,
    project_team_record,
    reference_record,
)
from tests.api.test_reference_api import token_client
from tests.compliance.test_audit import run_audit, work
from tests.factories import PlacementFactory, authority, role

pytestmark = pytest.mark.django_db

START = date(2025, 6, 2)
BODY = {
    "authority": "E08000029",
    "role": "SW",
    "engagement_type": "paye",
    "worker_swe_number": "SW700123",
    "worker_qualified_on": "2015-01-10",
    "start_date": "2025-06-02",
    "pay_rate": "25.00",
    "on_costs": "0.00",
    "charge_rate": "33.00",
}
REFERENCE = {"referee": "Ann Lee", "referee_role": "Team manager", "organisation": "Dudley Council"}


@pytest.fixture
def national(versions):
    """The 2025 version under the national rules: two references by the start."""
    MouVersion.objects.filter(pk=versions["2025"].pk).update(min_references=2)
    return versions


def check(user, **changes):
    response = token_client(user).post("/api/v1/placements/check/", {**BODY, **changes}, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    return answer["allowed"], {c["rule"]: (c["outcome"], c["message"]) for c in answer["checks"]}


def references(*days):
    return [{**REFERENCE, "referee": f"Referee {n}", "given_on": day} for n, day in enumerate(days)]


# --- references_missing


@pytest.mark.parametrize(
    ("given", "outcome"),
    [
        ([], "fail"),
        (["2025-05-01"], "fail"),
        (["2025-05-01", "2025-06-03"], "fail"),  # one dated after the start does not count
        (["2025-05-01", "2025-06-02"], "pass"),  # dated on the start day counts
    ],
)
def test_the_booking_check_counts_the_references_dated_by_the_start(national, agency_user, given, outcome):
    allowed, checks = check(agency_user, references=references(*given))
    assert checks["references_missing"][0] == outcome
    assert allowed is (outcome == "pass")
    if given == ["2025-05-01"]:
        assert checks["references_missing"][1] == (
            "1 practice-based reference dated by the start; at least 2 are needed by 2 June 2025. Record them with "
            "the placement."
        )
    assert not Placement.objects.exists() and not Reference.objects.exists() and not Worker.objects.exists()


def test_a_version_without_the_rule_asks_for_no_references(versions, agency_user):
    _, checks = check(agency_user)
    assert checks["references_missing"] == ("pass", "No minimum number of references applies on that date.")


def test_the_audit_opens_a_case_and_a_reference_recorded_later_settles_it(national, agency_user, coordinator):
    client = token_client(agency_user)
    response = client.post("/api/v1/placements/", {**BODY, "references": references("2025-05-01")}, format="json")
    assert response.status_code == 201, response.content
    placement = Placement.objects.get()
    assert response.json()["references"] == [{**REFERENCE, "referee": "Referee 0", "given_on": "2025-05-01"}]
    run_audit()
    case = Breach.objects.get()
    assert (case.rule, case.placement_id, case.mou_version.name) == ("references_missing", placement.pk, "2025")
    assert case.description == "1 practice-based reference recorded by the start on 02/06/2025; 2 are required."

    # A reference dated after the start does not settle it...
    late = client.post(
        f"/api/v1/placements/{placement.pk}/references/", {**REFERENCE, "given_on": "2025-06-10"}, format="json"
    )
    assert late.status_code == 201, late.content
    run_audit()
    assert Breach.objects.get().status == "open"
    # ...one dated before it does: the placement is judged again and the case dismissed, naming the change.
    second = client.post(
        f"/api/v1/placements/{placement.pk}/references/", {**REFERENCE, "given_on": "2025-05-20"}, format="json"
    )
    assert second.status_code == 201, second.content
    run_audit()
    case.refresh_from_db()
    assert case.status == "dismissed"
    assert case.dismissed_reason.endswith("the placement no longer breaks this rule.")
    assert Breach.objects.count() == 1


def test_a_repeated_reference_is_refused_and_stored_once(national, agency_user):
    placement = PlacementFactory(agency=agency_user.agency, start_date=START)
    client = token_client(agency_user)
    body = {**REFERENCE, "given_on": "2025-05-20"}
    assert client.post(f"/api/v1/placements/{placement.pk}/references/", body, format="json").status_code == 201
    again = client.post(f"/api/v1/placements/{placement.pk}/references/", body, format="json")
    assert again.status_code == 400
    assert "already recorded for this placement" in str(again.json())
    future = client.post(
        f"/api/v1/placements/{placement.pk}/references/", {**body, "given_on": "2999-01-01"}, format="json"
    )
    assert future.status_code == 400 and "cannot be in the future" in str(future.json())
    assert Reference.objects.count() == 1


def test_references_are_the_agencys_claim_seen_by_its_council_not_another_agency(
    national, agency_user, other_agency_user, council_user, other_council_user
):
    placement = PlacementFactory(agency=agency_user.agency, authority=authority("E08000029"), start_date=START)
    reference_record(
        placement=placement, reference=ReferenceInput(given_on=date(2025, 5, 1), **REFERENCE), by=agency_user
    )
    url = f"/api/v1/placements/{placement.pk}/"
    assert token_client(agency_user).get(url).json()["references"][0]["referee"] == "Ann Lee"
    assert token_client(council_user).get(url).json()["references"][0]["referee"] == "Ann Lee"
    assert token_client(other_agency_user).get(url).status_code == 404
    assert token_client(other_council_user).get(url).status_code == 404
    # Nor can another agency (or a council) add one to it.
    body = {**REFERENCE, "given_on": "2025-05-02"}
    assert token_client(other_agency_user).post(f"{url}references/", body, format="json").status_code == 404
    assert token_client(council_user).post(f"{url}references/", body, format="json").status_code == 403
    # The same worker placed by another agency: its placement has none of A's references.
    other = PlacementFactory(agency=other_agency_user.agency, worker=placement.worker, start_date=START)
    assert token_client(other_agency_user).get(f"/api/v1/placements/{other.pk}/").json()["references"] == []
    _, checks = check(other_agency_user)
    assert checks["references_missing"][0] == "fail"
    assert Reference.objects.count() == 1


# --- project_team_unapproved


def record_team(agency, *, approved_on, swe_number="SW700123", at="E08000029", name="Assessment team"):
    return project_team_record(
        authority=authority(at),
        agency=agency,
        name=name,
        service="Child protection assessments, north locality",
        cost_of_service=Decimal("250000.00"),
        approved_by="Jo Bloggs, director of children's services",
        approved_on=approved_on,
        members=[TeamMemberInput(worker_swe_number=swe_number, role=role("SW"), cost=Decimal("62000.00"))],
    )


@pytest.mark.parametrize(
    ("approved_on", "at", "outcome"),
    [
        (date(2025, 6, 2), "E08000029", "pass"),  # approved on the start day
        (date(2025, 6, 3), "E08000029", "fail"),  # the day after
        (date(2025, 1, 6), "E08000026", "fail"),  # another council's team
    ],
)
def test_the_booking_check_looks_for_the_worker_on_an_approved_team(versions, agency_user, approved_on, at, outcome):
    record_team(agency_user.agency, approved_on=approved_on, at=at)
    allowed, checks = check(agency_user, project_team=True)
    assert checks["project_team_unapproved"][0] == outcome
    assert allowed is (outcome == "pass")
    assert check(agency_user, project_team=False)[1]["project_team_unapproved"][0] == "pass"


def test_another_agencys_team_does_not_cover_the_worker(versions, agency_a, other_agency_user):
    record_team(agency_a, approved_on=date(2025, 1, 6))
    allowed, checks = check(other_agency_user, project_team=True)
    assert not allowed and checks["project_team_unapproved"][0] == "fail"
    assert "Alpha" not in checks["project_team_unapproved"][1]


def test_the_audit_opens_a_case_and_recording_the_team_dismisses_it(versions, agency_a, council_user):
    placement = placement_register(
        agency=agency_a,
        authority=authority(),
        role=role("SW"),
        worker_swe_number="SW700123",
        engagement_type="paye",
        start_date=START,
        pay_rate="20.00",
        charge_rate="28.00",
        project_team=True,
    )
    run_audit()
    case = Breach.objects.get()
    assert (case.rule, case.placement_id, case.severity) == ("project_team_unapproved", placement.pk, "serious")
    record_team(agency_a, approved_on=date(2025, 5, 1))
    run_audit()
    case.refresh_from_db()
    assert case.status == "dismissed"
    assert case.dismissed_reason == (
        "SW700123 named on an approved project team: the placement no longer breaks this rule."
    )


def test_a_council_records_its_teams_through_the_api_and_only_it_and_the_agency_see_them(
    versions, agency_a, agency_user, other_agency_user, council_user, other_council_user
):
    body = {
        "agency": agency_a.pk,
        "name": "Assessment team",
        "service": "Child protection assessments",
        "cost_of_service": "250000.00",
        "approved_by": "Jo Bloggs, DCS",
        "approved_on": "2025-05-01",
        "members": [{"worker_swe_number": "sw700123", "role": "SW", "cost": "62000.00"}],
    }
    response = token_client(council_user).post("/api/v1/project-teams/", body, format="json")
    assert response.status_code == 201, response.content
    team = response.json()
    assert team["authority"] == "E08000029"
    assert team["members"] == [{"worker_swe_number": "SW700123", "role": "SW", "cost": "62000.00"}]
    # A repeat is refused in words; nothing twice.
    again = token_client(council_user).post("/api/v1/project-teams/", body, format="json")
    assert again.status_code == 400 and "already has a project team called “Assessment team” at Solihull" in str(
        again.json()
    )
    # Bad input: a future approval, no members, a bad registration number.
    for bad, words in [
        ({"approved_on": "2999-01-01"}, "cannot be in the future"),
        ({"members": []}, "Name at least one worker"),
        ({"members": [{"worker_swe_number": "X1", "role": "SW", "cost": "1.00"}]}, "registration number"),
    ]:
        refused = token_client(council_user).post(
            "/api/v1/project-teams/", {**body, "name": "Other", **bad}, format="json"
        )
        assert refused.status_code == 400 and words in str(refused.json()), refused.content
    assert ProjectTeam.objects.count() == 1

    ids = {
        user.username: [t["id"] for t in token_client(user).get("/api/v1/project-teams/").json()["results"]]
        for user in (agency_user, other_agency_user, council_user, other_council_user)
    }
    assert ids == {"alpha": [team["id"]], "beta": [], "solihull": [team["id"]], "coventry": []}
    # Agencies read; a council records only at its own authority.
    assert token_client(agency_user).post("/api/v1/project-teams/", body, format="json").status_code == 403
    elsewhere = token_client(council_user).post(
        "/api/v1/project-teams/", {**body, "name": "Elsewhere", "authority": "E08000026"}, format="json"
    )
    assert elsewhere.status_code == 400 and "your own authority" in str(elsewhere.json())


# --- the cap's basis


@pytest.mark.parametrize(
    ("basis", "on_costs", "outcome"),
    [
        ("pay", "5.00", "pass"),  # pay alone: 25.00 within 26.00 whatever the on-costs
        ("pay_and_on_costs", "1.00", "pass"),  # 25.00 + 1.00 = 26.00, on the cap
        ("pay_and_on_costs", "1.01", "fail"),  # 26.01
    ],
)
def test_the_pay_cap_compares_what_the_version_says(versions, agency_user, basis, on_costs, outcome):
    MouVersion.objects.filter(pk=versions["2025"].pk).update(cap_basis=basis)
    _, checks = check(agency_user, on_costs=on_costs)
    assert checks["pay_rate_above_cap"][0] == outcome
    if outcome == "fail":
        assert checks["pay_rate_above_cap"][1] == (
            "£25.00/h pay plus £1.01/h on-costs is £0.01/h above the pay cap of £26.00/h (2025)."
        )
    cap_check = token_client(agency_user).get(
        "/api/v1/cap-check/",
        {"role": "SW", "date": "2025-06-02", "pay_rate": "25.00", "charge_rate": "33.00", "on_costs": on_costs},
    )
    assert cap_check.json()["within_cap"] is (outcome == "pass")
    assert cap_check.json()["on_costs_counted"] is (basis == "pay_and_on_costs")


def test_the_audit_counts_the_on_costs_where_the_version_says_so(versions):
    MouVersion.objects.filter(pk=versions["2025"].pk).update(cap_basis="pay_and_on_costs")
    counted = PlacementFactory(start_date=START, pay_rate="25.00", on_costs="2.00", charge_rate="33.00")
    earlier = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="24.00", on_costs="2.00", charge_rate="32.00")
    work(counted, date(2025, 6, 2))
    work(earlier, date(2019, 1, 7))  # 2018's pay cap compares the pay alone: 24.00 within 25.00
    run_audit()
    case = Breach.objects.get()
    assert (case.rule, case.placement_id, case.excess_amount) == ("pay_rate_above_cap", counted.pk, Decimal("7.50"))
    line = case.lines.get()
    assert (line.rate, line.cap) == (Decimal("27.00"), Decimal("26.00"))
