"""The pages of the national rules: references with a registration and afterwards, project teams a council records;
each scoped as the records they belong to."""

from datetime import date
from decimal import Decimal

import pytest

from mou.models import MouVersion
from placements.models import Placement, ProjectTeam, Reference
from tests.factories import PlacementFactory, authority
from tests.placements.test_national_rules import record_team
from tests.placements.test_portal_pages import registration

pytestmark = pytest.mark.django_db


def references_post(*rows):
    data = {"references-TOTAL_FORMS": "2", "references-INITIAL_FORMS": "0"}
    for n, row in enumerate(rows):
        data.update({f"references-{n}-{name}": value for name, value in row.items()})
    return data


FIRST = {
    "referee": "Ann Lee",
    "referee_role": "Team manager",
    "organisation": "Dudley Council",
    "given_on": "2025-01-06",
}


def test_references_given_with_a_registration_are_checked_then_stored(client, versions, agency_user, solihull):
    MouVersion.objects.filter(pk=versions["2025"].pk).update(min_references=2)
    client.force_login(agency_user)
    form = client.get("/placements/new/").content.decode()
    assert "First practice-based reference" in form and 'name="references-1-referee"' in form
    post = {**registration(authority=str(solihull.pk)), **references_post(FIRST)}

    checked = client.post("/placements/new/", {**post, "check": "1"}).content.decode()
    assert "This placement would break the MoU" in checked
    assert "1 practice-based reference dated by the start; at least 2 are needed by 3 February 2025." in checked
    assert not Placement.objects.exists()

    second = {**FIRST, "referee": "Raj Patel", "given_on": "2025-01-20"}
    response = client.post("/placements/new/", {**post, **references_post(FIRST, second)})
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert sorted(placement.references.values_list("referee", flat=True)) == ["Ann Lee", "Raj Patel"]
    page = client.get(response["Location"]).content.decode()
    assert "Raj Patel" in page and "asks for at least 2 dated by the start" in page


def test_a_half_filled_reference_says_what_is_missing_at_the_top_and_stores_nothing(
    client, versions, agency_user, solihull
):
    client.force_login(agency_user)
    post = {**registration(authority=str(solihull.pk)), **references_post({"referee": "Ann Lee"})}
    page = client.post("/placements/new/", post).content.decode()
    assert "There is a problem" in page
    assert 'href="#id_references-0-organisation">Reference 1, organisation: Enter the organisation</a>' in page
    assert "<title>Error: Register a placement" in page
    assert not Placement.objects.exists() and not Reference.objects.exists()


def test_the_agency_records_a_reference_on_its_placement_and_no_one_else_can(
    client, versions, agency_user, other_agency_user, council_user
):
    placement = PlacementFactory(
        agency=agency_user.agency, authority=authority("E08000029"), start_date=date(2025, 6, 2)
    )
    url = f"/placements/{placement.pk}/references/new/"
    client.force_login(other_agency_user)
    assert client.get(url).status_code == 404
    client.force_login(council_user)
    assert client.get(url).status_code == 403
    client.force_login(agency_user)
    empty = client.post(url, {}).content.decode()
    assert "Referee&#x27;s name: Enter the referee&#x27;s name" in empty
    response = client.post(url, FIRST)
    assert response.status_code == 302
    assert Reference.objects.get().placement == placement
    # The council where the worker is placed reads it; another agency never does.
    client.force_login(council_user)
    assert "Ann Lee" in client.get(f"/placements/{placement.pk}/").content.decode()
    client.force_login(other_agency_user)
    assert client.get(f"/placements/{placement.pk}/").status_code == 404


def test_a_council_records_a_team_and_each_tenant_sees_only_its_own(
    client, versions, agency_a, agency_user, other_agency_user, council_user, other_council_user
):
    client.force_login(council_user)
    form = client.get("/project-teams/new/").content.decode()
    assert 'name="authority"' not in form  # a council records its own teams
    post = {
        "agency": str(agency_a.pk),
        "name": "Assessment team",
        "service": "Child protection assessments",
        "cost_of_service": "250000",
        "approved_by": "Jo Bloggs, DCS",
        "approved_on": "2025-05-01",
        "members-TOTAL_FORMS": "6",
        "members-INITIAL_FORMS": "0",
        "members-0-worker_swe_number": "sw 700123",
        "members-0-role": "SW",
        "members-0-cost": "62000",
        "members-1-worker_swe_number": "SW700124",
    }
    half = client.post("/project-teams/new/", post).content.decode()
    assert "Worker 2, role: Choose the worker&#x27;s role" in half
    assert not ProjectTeam.objects.exists()
    post.update({"members-1-role": "SW", "members-1-cost": "61000"})
    response = client.post("/project-teams/new/", post)
    assert response.status_code == 302
    team = ProjectTeam.objects.get()
    assert team.authority == authority("E08000029") and team.recorded_by == council_user
    detail = client.get(response["Location"]).content.decode()
    assert "SW700123" in detail and "£123,000.00" in detail

    visible = {}
    for user in (agency_user, other_agency_user, council_user, other_council_user):
        client.force_login(user)
        visible[user.username] = "Assessment team" in client.get("/project-teams/").content.decode()
        if not visible[user.username]:
            assert client.get(f"/project-teams/{team.pk}/").status_code == 404
    assert visible == {"alpha": True, "beta": False, "solihull": True, "coventry": False}
    client.force_login(agency_user)
    assert client.get("/project-teams/new/").status_code == 403


def test_the_coordinator_records_a_team_for_any_council(client, versions, agency_a, coordinator, coventry):
    record_team(agency_a, approved_on=date(2025, 1, 6), at="E08000026")
    client.force_login(coordinator)
    form = client.get("/project-teams/new/").content.decode()
    assert 'name="authority"' in form
    page = client.get("/project-teams/").content.decode()
    assert "Assessment team" in page and "Coventry" in page
    assert ProjectTeam.objects.get().cost_of_service == Decimal("250000.00")


def test_the_team_form_says_every_mistake_at_once_and_drops_no_row(client, versions, agency_a, council_user):
    client.force_login(council_user)
    post = {
        "agency": str(agency_a.pk),
        "name": "Assessment team",
        "service": "Child protection assessments",
        "cost_of_service": "250000",
        "approved_by": "Jo Bloggs, DCS",
        "approved_on": "2999-01-01",  # in the future
        "members-TOTAL_FORMS": "6",
        "members-INITIAL_FORMS": "0",
        "members-0-worker_swe_number": "SW700123",
        "members-0-role": "SW",
        "members-0-cost": "62000",
        "members-1-worker_swe_number": "sw700123",  # the same worker again
        "members-1-role": "SW",
        "members-1-cost": "61000",
        "members-2-cost": "100",  # a cost with no worker
    }
    page = client.post("/project-teams/new/", post).content.decode()
    assert "Approved on: Record a team once it is approved: the approval date cannot be in the future." in page
    assert "Worker 2, registration number: SW700123 is already on row 1" in page
    assert "Worker 3, registration number: Enter the worker&#x27;s registration number, or clear the row" in page
    assert not ProjectTeam.objects.exists()
