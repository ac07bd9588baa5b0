"""`breaches/` writes (SPEC §7): the coordinator `PATCH`es status, severity and assignee through the services; a
council (or the coordinator) `POST`s a manual case. Everyone else gets 403; a case outside the caller's scope, 404."""

from decimal import Decimal

import pytest

from compliance.models import Breach, BreachNote
from tests.api.test_reference_api import token_client
from tests.factories import BreachFactory, PlacementFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agency_a, solihull):
    return BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("37.50"))


def url(case):
    return f"/api/v1/breaches/{case.pk}/"


# --- PATCH


def test_the_coordinator_moves_assigns_and_grades_a_case_in_one_patch(coordinator, case):
    response = token_client(coordinator).patch(
        url(case), {"status": "under_review", "severity": "serious", "assignee": "coordinator"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["severity"], body["assignee"]) == ("under_review", "serious", "coordinator")
    assert "reason" not in body
    case.refresh_from_db()
    assert (case.status, case.severity, case.assignee) == ("under_review", "serious", coordinator)


def test_a_refused_move_is_a_400_with_the_services_message_and_undoes_the_whole_patch(coordinator, case):
    response = token_client(coordinator).patch(
        url(case), {"assignee": "coordinator", "status": "resolved"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": [
            f"Breach {case.pk} cannot move from open to resolved: from open it can move to under review, "
            "corrective action, dismissed or escalated to suspension."
        ]
    }
    case.refresh_from_db()
    assert (case.status, case.assignee) == ("open", None)


def test_dismissing_needs_a_reason(coordinator, case):
    client = token_client(coordinator)
    response = client.patch(url(case), {"status": "dismissed"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "reason": [f"Dismissing breach {case.pk} needs a reason (e.g. a duplicate, or the work was covered)."]
    }
    assert Breach.objects.get(pk=case.pk).status == "open"
    response = client.patch(url(case), {"status": "dismissed", "reason": "Duplicate of case 1"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.dismissed_reason) == ("dismissed", "Duplicate of case 1")
    assert case.closed_at is not None


def test_a_reason_for_another_move_joins_the_timeline(coordinator, case):
    token_client(coordinator).patch(url(case), {"status": "under_review", "reason": "Asked the agency"}, format="json")
    assert list(BreachNote.objects.values_list("text", flat=True)) == ["Asked the agency"]


def test_patching_the_status_a_case_already_has_changes_nothing_and_is_not_refused(coordinator, case):
    response = token_client(coordinator).patch(url(case), {"status": "open", "severity": "serious"}, format="json")
    assert response.status_code == 200
    assert Breach.objects.get(pk=case.pk).severity == "serious"


def test_a_case_is_assigned_to_coordinators_only(coordinator, analyst, case):
    client = token_client(coordinator)
    response = client.patch(url(case), {"assignee": "analyst"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "assignee": ["analyst is not a workforce coordinator: breach cases are assigned to coordinators only."]
    }
    assert client.patch(url(case), {"assignee": "nobody"}, format="json").json() == {
        "assignee": ["Object with username=nobody does not exist."]
    }


def test_a_case_is_unassigned_with_null(coordinator, case):
    case.assignee = coordinator
    case.save()
    response = token_client(coordinator).patch(url(case), {"assignee": None}, format="json")
    assert response.json()["assignee"] is None


def test_an_unknown_status_is_a_400(coordinator, case):
    response = token_client(coordinator).patch(url(case), {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ['"closed" is not a valid choice.']}


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_patches_a_case(persona, request, case):
    response = token_client(request.getfixturevalue(persona)).patch(url(case), {"severity": "serious"}, format="json")
    assert response.status_code == 403
    assert Breach.objects.get(pk=case.pk).severity == "minor"


def test_a_case_is_not_replaced_whole(coordinator, case):
    assert token_client(coordinator).put(url(case), {"status": "under_review"}, format="json").status_code in (403, 405)


def test_a_patch_records_who_made_it(coordinator, case):
    from pghistory.models import Events

    token_client(coordinator).patch(url(case), {"status": "under_review"}, format="json")
    event = Events.objects.tracks(case).order_by("-pgh_id").first()
    assert (event.pgh_context["user"], event.pgh_context["url"]) == (coordinator.pk, url(case))


# --- POST (manual report)


def test_a_council_reports_a_manual_breach_at_its_authority(council_user, agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    response = token_client(council_user).post(
        "/api/v1/breaches/",
        {"agency": agency_a.pk, "placement": placement.pk, "description": "Approached our TM", "severity": "serious"},
        format="json",
    )
    assert response.status_code == 201
    case = Breach.objects.get()
    body = response.json()
    assert body["id"] == case.pk
    assert {k: body[k] for k in ("agency", "authority", "placement", "rule", "severity", "status", "description")} == {
        "agency": agency_a.pk,
        "authority": "E08000029",
        "placement": placement.pk,
        "rule": "manual",
        "severity": "serious",
        "status": "open",
        "description": "Approached our TM",
    }
    assert (case.source, case.reported_by) == ("manual", council_user)


def test_a_council_report_without_a_placement_is_minor_by_default(council_user, agency_b):
    response = token_client(council_user).post(
        "/api/v1/breaches/", {"agency": agency_b.pk, "description": "Poached a worker"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["severity"], response.json()["authority"], response.json()["placement"]) == (
        "minor",
        "E08000029",
        None,
    )


def test_a_council_cannot_report_on_another_authoritys_placement(council_user, agency_a, coventry):
    elsewhere = PlacementFactory(agency=agency_a, authority=coventry)
    response = token_client(council_user).post(
        "/api/v1/breaches/", {"agency": agency_a.pk, "placement": elsewhere.pk, "description": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"placement": ["not a placement at your authority"]}
    assert not Breach.objects.exists()


def test_a_report_needs_an_agency_and_a_description(council_user):
    response = token_client(council_user).post("/api/v1/breaches/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"agency": ["This field is required."], "description": ["This field is required."]}


def test_the_coordinator_reports_on_a_placement_of_the_agency_named_only(coordinator, agency_a, agency_b):
    placement = PlacementFactory(agency=agency_b)
    client = token_client(coordinator)
    response = client.post(
        "/api/v1/breaches/", {"agency": agency_a.pk, "placement": placement.pk, "description": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "placement": [f"Placement {placement.pk} is with Beta Social Care Staffing Ltd, not Alpha Locums Ltd."]
    }
    response = client.post(
        "/api/v1/breaches/", {"agency": agency_b.pk, "placement": placement.pk, "description": "x"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("persona", ["analyst", "agency_user"])
def test_analysts_and_agencies_do_not_report_breaches(persona, request, agency_a):
    response = token_client(request.getfixturevalue(persona)).post(
        "/api/v1/breaches/", {"agency": agency_a.pk, "description": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not Breach.objects.exists()


def test_a_council_reads_the_case_it_reported_and_the_other_council_does_not(
    council_user, other_council_user, agency_a
):
    created = (
        token_client(council_user)
        .post("/api/v1/breaches/", {"agency": agency_a.pk, "description": "x"}, format="json")
        .json()
    )
    assert token_client(council_user).get(f"/api/v1/breaches/{created['id']}/").status_code == 200
    assert token_client(other_council_user).get(f"/api/v1/breaches/{created['id']}/").status_code == 404


def test_a_council_patching_another_authoritys_case_is_refused_before_anything_is_read(other_council_user, case):
    # Writes are decided by role first (403), so a council learns nothing of a case elsewhere.
    assert token_client(other_council_user).patch(url(case), {"severity": "serious"}, format="json").status_code == 403


def test_a_second_coordinator_takes_a_case_over(coordinator, case):
    UserFactory(username="coordinator2", role="coordinator")
    response = token_client(coordinator).patch(url(case), {"assignee": "coordinator2"}, format="json")
    assert response.json()["assignee"] == "coordinator2"
