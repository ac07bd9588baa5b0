"""A draft corrective action is the coordinator's work in progress: the agency and the council meet it once issued."""

import pytest

from compliance.models import CorrectiveAction
from futuresocial.scoping import visible_to
from tests.factories import BreachFactory, CorrectiveActionFactory, PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    breach = BreachFactory(placement=placement, rule="manual")
    action = CorrectiveActionFactory(agency=agency_a, summary="Repay the excess", breaches=[breach])
    return action, breach


@pytest.mark.parametrize("persona", ["agency_user", "council_user"])
def test_the_breach_page_and_the_history_page_keep_a_draft_from_the_agency_and_the_council(
    client, draft, persona, request
):
    action, breach = draft
    client.force_login(request.getfixturevalue(persona))
    page = client.get(f"/breaches/{breach.pk}/")
    assert page.status_code == 200
    assert f"/corrective-actions/{action.pk}/" not in page.content.decode()
    assert client.get(f"/history/compliance/correctiveaction/{action.pk}/").status_code == 404


def test_once_issued_the_agency_sees_it_on_the_breach_page_and_its_history(client, draft, agency_user):
    action, breach = draft
    CorrectiveAction.objects.filter(pk=action.pk).update(status="issued")
    client.force_login(agency_user)
    assert f"/corrective-actions/{action.pk}/" in client.get(f"/breaches/{breach.pk}/").content.decode()
    assert client.get(f"/history/compliance/correctiveaction/{action.pk}/").status_code == 200


def test_the_coordinator_sees_the_draft(client, draft, coordinator):
    action, breach = draft
    client.force_login(coordinator)
    assert f"/corrective-actions/{action.pk}/" in client.get(f"/breaches/{breach.pk}/").content.decode()


@pytest.mark.parametrize("persona", ["agency_user", "council_user"])
def test_a_tenants_visible_to_holds_no_draft(draft, persona, request):
    """The rule lives in `visible_to` (CorrectiveAction.scope), so no caller can forget it."""
    action, _ = draft
    issued = CorrectiveAction.objects.create(agency=action.agency, summary="Repay", status="issued")
    issued.breaches.set(action.breaches.all())
    user = request.getfixturevalue(persona)

    assert list(visible_to(CorrectiveAction.objects.all(), user)) == [issued]


@pytest.mark.parametrize("persona", ["coordinator", "analyst"])
def test_the_regions_visible_to_holds_the_draft(draft, persona, request):
    action, _ = draft
    assert list(visible_to(CorrectiveAction.objects.all(), request.getfixturevalue(persona))) == [action]
