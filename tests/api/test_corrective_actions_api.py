"""`corrective-actions/` (SPEC §7): the coordinator drafts, issues and completes; the agency signs its own."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

import pytest
from rest_framework.fields import DateTimeField

from compliance.corrective_actions import (
    ItemDraft,
    corrective_action_draft,
    corrective_action_issue,
    corrective_action_sign,
)
from compliance.models import CorrectiveAction
from tests.api.test_reference_api import token_client
from tests.factories import BreachFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_A_MONTH = TODAY + timedelta(days=30)


@pytest.fixture
def a_case(agency_a, solihull):
    return BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("37.50"))


@pytest.fixture
def b_case(agency_b, coventry):
    return BreachFactory(placement__agency=agency_b, placement__authority=coventry)


def draft(coordinator, agency, breaches, *descriptions):
    return corrective_action_draft(
        agency=agency,
        breaches=breaches,
        items=[ItemDraft(d, IN_A_MONTH) for d in descriptions or ["Repay the excess"]],
        by=coordinator,
    )


def issued(coordinator, agency, breaches, *descriptions):
    return corrective_action_issue(action=draft(coordinator, agency, breaches, *descriptions), by=coordinator)


def new_action(agency, breaches, **overrides):
    return {
        "agency": agency.pk,
        "breaches": [b.pk for b in breaches],
        "summary": "Paid above the cap at Solihull.",
        "items": [{"description": "Repay the excess of £37.50", "due_on": IN_A_MONTH.isoformat()}],
        **overrides,
    }


# --- Drafting and changing a draft


def test_the_coordinator_drafts_a_corrective_action(coordinator, agency_a, a_case):
    response = token_client(coordinator).post(
        "/api/v1/corrective-actions/", new_action(agency_a, [a_case]), format="json"
    )
    assert response.status_code == 201
    action = CorrectiveAction.objects.get()
    body = response.json()
    assert body.pop("created_at") == DateTimeField().to_representation(action.created_at)
    item = action.items.get()
    assert body == {
        "id": action.pk,
        "agency": agency_a.pk,
        "breaches": [a_case.pk],
        "summary": "Paid above the cap at Solihull.",
        "items": [
            {
                "id": item.pk,
                "description": "Repay the excess of £37.50",
                "due_on": IN_A_MONTH.isoformat(),
                "done": False,
                "done_on": None,
            }
        ],
        "status": "draft",
        "issued_at": None,
        "signed_at": None,
        "signed_name": "",
        "completed_at": None,
        "lapsed_at": None,
    }
    assert action.created_by == coordinator


def test_a_draft_citing_another_agencys_breach_is_a_400_naming_it(coordinator, agency_a, a_case, b_case):
    response = token_client(coordinator).post(
        "/api/v1/corrective-actions/", new_action(agency_a, [a_case, b_case]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "breaches": [
            f"Breach case {b_case.pk} is not Alpha Locums Ltd's: a corrective action cites the breaches of one "
            "agency only."
        ]
    }
    assert not CorrectiveAction.objects.exists()


def test_a_remedial_action_due_in_the_past_is_a_400(coordinator, agency_a, a_case):
    yesterday = TODAY - timedelta(days=1)
    response = token_client(coordinator).post(
        "/api/v1/corrective-actions/",
        new_action(agency_a, [a_case], items=[{"description": "Repay", "due_on": yesterday.isoformat()}]),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"items": [f"Remedial action 1: the due date {yesterday:%d/%m/%Y} is in the past."]}


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_drafts(persona, request, agency_a, a_case):
    client = token_client(request.getfixturevalue(persona))
    assert client.post("/api/v1/corrective-actions/", new_action(agency_a, [a_case]), format="json").status_code == 403
    assert not CorrectiveAction.objects.exists()


def test_the_coordinator_replaces_a_drafts_items(coordinator, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case], "Repay", "Train")
    response = token_client(coordinator).patch(
        f"/api/v1/corrective-actions/{action.pk}/",
        {"items": [{"description": "Audit every booking", "due_on": IN_A_MONTH.isoformat()}]},
        format="json",
    )
    assert response.status_code == 200
    assert [i["description"] for i in response.json()["items"]] == ["Audit every booking"]
    assert list(action.items.values_list("description", flat=True)) == ["Audit every booking"]


def test_an_issued_agreement_cannot_be_changed(coordinator, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    response = token_client(coordinator).patch(
        f"/api/v1/corrective-actions/{action.pk}/", {"summary": "Else"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [f"Corrective action {action.pk} is issued; only a draft corrective action can be changed."]
    }


def test_a_draft_stays_with_its_agency(coordinator, agency_a, agency_b, a_case):
    action = draft(coordinator, agency_a, [a_case])
    response = token_client(coordinator).patch(
        f"/api/v1/corrective-actions/{action.pk}/", {"agency": agency_b.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["agency"]


# --- Issue, sign, complete


def test_the_coordinator_issues_a_draft_and_a_second_issue_is_a_400(coordinator, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case])
    client = token_client(coordinator)
    response = client.post(f"/api/v1/corrective-actions/{action.pk}/issue/")
    assert response.status_code == 200
    assert response.json()["status"] == "issued"
    assert response.json()["issued_at"] is not None
    a_case.refresh_from_db()
    assert a_case.status == "corrective_action"
    again = client.post(f"/api/v1/corrective-actions/{action.pk}/issue/")
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": [f"Corrective action {action.pk} is issued; only a draft corrective action can be issued."]
    }


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_issues_and_completes(persona, request, coordinator, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case])
    client = token_client(request.getfixturevalue(persona))
    assert client.post(f"/api/v1/corrective-actions/{action.pk}/issue/").status_code == 403
    assert client.post(f"/api/v1/corrective-actions/{action.pk}/complete/").status_code == 403
    action.refresh_from_db()
    assert action.status == "draft"


def test_an_agency_user_signs_its_agencys_agreement(coordinator, agency_user, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    response = token_client(agency_user).post(
        f"/api/v1/corrective-actions/{action.pk}/sign/",
        {"signed_name": "Alex Agent"},
        format="json",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200
    action.refresh_from_db()
    body = response.json()
    assert (body["status"], body["signed_name"], body["signed_at"]) == (
        "signed",
        "Alex Agent",
        DateTimeField().to_representation(action.signed_at),
    )
    assert (action.signed_by, action.signed_ip) == (agency_user, "203.0.113.7")


def test_another_agency_gets_404_signing_and_reading(coordinator, other_agency_user, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    client = token_client(other_agency_user)
    response = client.post(f"/api/v1/corrective-actions/{action.pk}/sign/", {"signed_name": "Bo"}, format="json")
    assert response.status_code == 404
    assert client.get(f"/api/v1/corrective-actions/{action.pk}/").status_code == 404
    action.refresh_from_db()
    assert action.status == "issued"


@pytest.mark.parametrize("persona", ["coordinator", "council_user", "analyst"])
def test_only_an_agency_user_signs(persona, request, coordinator, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    client = token_client(request.getfixturevalue(persona))
    response = client.post(f"/api/v1/corrective-actions/{action.pk}/sign/", {"signed_name": "X"}, format="json")
    assert response.status_code == 403


def test_signing_without_a_name_is_a_400(coordinator, agency_user, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    response = token_client(agency_user).post(
        f"/api/v1/corrective-actions/{action.pk}/sign/", {"signed_name": " "}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"signed_name": ["Type your full name to sign."]}


def test_signing_twice_is_a_400_naming_the_signer(coordinator, agency_user, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    response = token_client(agency_user).post(
        f"/api/v1/corrective-actions/{action.pk}/sign/", {"signed_name": "Sam"}, format="json"
    )
    assert response.status_code == 400
    assert "signed by Alex Agent" in response.json()["non_field_errors"][0]


def test_the_coordinator_records_each_remedial_action_done_then_completes(coordinator, agency_user, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case], "Repay", "Train")
    corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    first, second = action.items.all()
    client = token_client(coordinator)
    client.post(f"/api/v1/corrective-actions/{action.pk}/items/{first.pk}/done/", {}, format="json")
    refused = client.post(f"/api/v1/corrective-actions/{action.pk}/complete/")
    assert refused.status_code == 400
    assert refused.json() == {
        "non_field_errors": [f"1 remedial action is not done yet: “Train” (due {IN_A_MONTH:%d/%m/%Y})."]
    }
    done = client.post(
        f"/api/v1/corrective-actions/{action.pk}/items/{second.pk}/done/",
        {"done_on": TODAY.isoformat()},
        format="json",
    )
    assert [i["done"] for i in done.json()["items"]] == [True, True]
    response = client.post(f"/api/v1/corrective-actions/{action.pk}/complete/")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    a_case.refresh_from_db()
    assert a_case.status == "resolved"


# --- Reads, scoped


@pytest.fixture
def region(coordinator, agency_a, agency_b, solihull, coventry):
    return {
        "a_solihull": issued(
            coordinator, agency_a, [BreachFactory(placement__agency=agency_a, placement__authority=solihull)]
        ),
        "a_draft": draft(
            coordinator, agency_a, [BreachFactory(placement__agency=agency_a, placement__authority=solihull)]
        ),
        "b_coventry": issued(
            coordinator, agency_b, [BreachFactory(placement__agency=agency_b, placement__authority=coventry)]
        ),
    }


def ids(client):
    return sorted(row["id"] for row in client.get("/api/v1/corrective-actions/").json()["results"])


def test_an_agency_reads_its_own_issued_agreements(agency_user, region):
    assert ids(token_client(agency_user)) == [region["a_solihull"].pk]
    client = token_client(agency_user)
    assert client.get(f"/api/v1/corrective-actions/{region['a_draft'].pk}/").status_code == 404


def test_a_council_reads_agreements_citing_its_authoritys_breaches(council_user, other_council_user, region):
    assert ids(token_client(council_user)) == [region["a_solihull"].pk]
    assert ids(token_client(other_council_user)) == [region["b_coventry"].pk]
    client = token_client(council_user)
    assert client.get(f"/api/v1/corrective-actions/{region['b_coventry'].pk}/").status_code == 404


def test_the_region_reads_every_agreement_drafts_too(analyst, region):
    assert ids(token_client(analyst)) == sorted(a.pk for a in region.values())


def test_the_list_filters_by_status(coordinator, region):
    body = token_client(coordinator).get("/api/v1/corrective-actions/?status=draft").json()
    assert [row["id"] for row in body["results"]] == [region["a_draft"].pk]


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_takes_the_same_queries_for_3_or_30(rows, coordinator, agency_a, solihull, django_assert_num_queries):
    for _ in range(rows):
        draft(
            coordinator,
            agency_a,
            [
                BreachFactory(placement__agency=agency_a, placement__authority=solihull),
                BreachFactory(placement__agency=agency_a, placement__authority=solihull),
            ],
            "Repay",
            "Train",
        )
    client = token_client(coordinator)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; the page of actions; their breach ids; their items;
    # release.
    with django_assert_num_queries(7):
        body = client.get("/api/v1/corrective-actions/?page_size=50").json()
    assert body["count"] == rows
    assert all(len(row["breaches"]) == 2 and len(row["items"]) == 2 for row in body["results"])
