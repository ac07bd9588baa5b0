"""A write naming a field the API does not let the caller change is a 400 naming it, and nothing changes (issue 17,
point 7); the database's refusal of a duplicate is a 400, never a 500, in every create path."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

import pytest
from pghistory.models import Events

from agencies.api import AgencySerializer
from agencies.models import Agency
from compliance.corrective_actions import ItemDraft, corrective_action_draft
from tests.api.test_reference_api import token_client
from tests.factories import AgencyFactory, BreachFactory, WorkforceReturnFactory

pytestmark = pytest.mark.django_db

READ_ONLY = "This field is read-only."


def test_patching_an_agencys_standing_is_a_400_naming_it(coordinator, agency_a):
    response = token_client(coordinator).patch(
        f"/api/v1/agencies/{agency_a.pk}/", {"standing": "removed", "name": "Renamed Ltd"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"standing": [READ_ONLY]}
    agency_a.refresh_from_db()
    assert agency_a.name != "Renamed Ltd"


@pytest.mark.parametrize("field,value", [("description", "Nothing happened."), ("excess_amount", "0.00")])
def test_patching_a_breachs_description_or_amount_is_a_400_naming_it(coordinator, agency_a, solihull, field, value):
    case = BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("37.50"))
    response = token_client(coordinator).patch(f"/api/v1/breaches/{case.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [READ_ONLY]}
    case.refresh_from_db()
    assert case.excess_amount == Decimal("37.50")


@pytest.mark.parametrize("field,value", [("status", "completed"), ("signed_name", "A. Forger")])
def test_patching_a_corrective_actions_status_or_signature_is_a_400_naming_it(
    coordinator, agency_a, solihull, field, value
):
    case = BreachFactory(placement__agency=agency_a, placement__authority=solihull)
    action = corrective_action_draft(
        agency=agency_a,
        breaches=[case],
        items=[ItemDraft("Repay", timezone.localdate() + timedelta(days=30))],
        by=coordinator,
    )
    response = token_client(coordinator).patch(
        f"/api/v1/corrective-actions/{action.pk}/", {field: value}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: [READ_ONLY]}
    action.refresh_from_db()
    assert (action.status, action.signed_name) == ("draft", "")


def test_patching_a_returns_derived_rate_is_a_400_and_neither_resubmits_nor_writes_history(council_user):
    workforce_return = WorkforceReturnFactory()
    submitted_at = workforce_return.submitted_at
    events = Events.objects.count()
    response = token_client(council_user).patch(
        f"/api/v1/workforce-returns/{workforce_return.pk}/", {"agency_rate": "1.0"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"agency_rate": [READ_ONLY]}
    workforce_return.refresh_from_db()
    assert workforce_return.submitted_at == submitted_at
    assert Events.objects.count() == events


def test_a_writable_field_still_changes(coordinator, agency_a):
    response = token_client(coordinator).patch(
        f"/api/v1/agencies/{agency_a.pk}/", {"name": "Renamed Ltd"}, format="json"
    )
    assert response.status_code == 200
    agency_a.refresh_from_db()
    assert agency_a.name == "Renamed Ltd"


def test_a_company_number_taken_between_the_check_and_the_insert_is_a_400_not_a_500(coordinator, monkeypatch):
    # What four concurrent POSTs did: each passed the serializer's check before any had inserted. Skipping the check
    # puts this request where the later ones were; the database's unique constraint then refuses the insert.
    AgencyFactory(company_number="12345678")
    monkeypatch.setattr(AgencySerializer, "validate_company_number", lambda self, number: number.upper())
    response = token_client(coordinator).post(
        "/api/v1/agencies/",
        {"name": "Second Ltd", "company_number": "12345678", "mou_signed_on": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"company_number": ["Agency with this Company number already exists."]}
    assert Agency.objects.filter(company_number="12345678").count() == 1
