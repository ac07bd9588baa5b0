"""History pages (SPEC §3 History): /history/<app_label>/<model>/<pk>/ says who changed what, when, from what to what,
for the records the spec lists, to those who may see the record (another tenant's, or another kind of record: 404)."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pghistory
import pytest

from agencies.models import Agency
from futuresocial.history import history_url
from tests.api.test_reference_api import token_client
from tests.compliance.test_breach_queue import text
from tests.factories import (
    BreachFactory,
    CapFactory,
    CorrectiveActionFactory,
    CorrectiveActionItemFactory,
    MouVersionFactory,
    WorkforceReturnFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agency_a, solihull):
    return BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("37.50"))


def test_a_status_change_made_on_the_case_page_shows_on_its_history_page(client, coordinator, case):
    client.force_login(coordinator)
    client.post(f"/breaches/{case.pk}/status/", {"status": "under_review"})
    response = client.get(f"/history/compliance/breach/{case.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert "status: Open → Under review by coordinator" in page
    assert f"History of breach {case.pk}: Breach {case.pk}: Pay rate above the cap (Alpha Locums Ltd)" in page


def test_the_history_names_the_assignee_and_says_when_a_change_came_through_the_api(coordinator, client, case):
    token_client(coordinator).patch(f"/api/v1/breaches/{case.pk}/", {"assignee": "coordinator"}, format="json")
    client.force_login(coordinator)
    assert "assignee: — → coordinator by coordinator through the API" in text(
        client.get(f"/history/compliance/breach/{case.pk}/")
    )


def test_the_history_shows_the_case_timeline_on_the_case_page_too(client, coordinator, case):
    client.force_login(coordinator)
    client.post(f"/breaches/{case.pk}/status/", {"status": "dismissed", "reason": "A duplicate of case 1"})
    page = text(client.get(f"/breaches/{case.pk}/"))
    assert "status: Open → Dismissed; dismissed reason: — → A duplicate of case 1" in page
    assert f'href="/history/compliance/breach/{case.pk}/"' in client.get(f"/breaches/{case.pk}/").content.decode()


def test_a_change_by_the_audit_is_attributed_to_its_run(client, coordinator, agency_a):
    with pghistory.context(source="audit", audit_run=7):
        found = BreachFactory(placement__agency=agency_a, excess_amount=Decimal("12.00"))
    client.force_login(coordinator)
    page = text(client.get(f"/history/compliance/breach/{found.pk}/"))
    assert "created by audit run 7" in page
    assert "total excess (£) 12.00" in page  # what the case held when first recorded


def test_a_change_with_no_one_behind_it_is_the_systems(client, coordinator, agency_a):
    agency_a.standing = Agency.Standing.SUSPENDED
    agency_a.save()
    client.force_login(coordinator)
    assert "standing: Approved → Suspended by system" in text(client.get(f"/history/agencies/agency/{agency_a.pk}/"))


def test_a_council_reads_the_history_of_a_case_at_its_authority_only(client, council_user, other_council_user, case):
    client.force_login(council_user)
    assert client.get(f"/history/compliance/breach/{case.pk}/").status_code == 200
    client.force_login(other_council_user)
    assert client.get(f"/history/compliance/breach/{case.pk}/").status_code == 404


def test_an_agency_gets_404_for_another_agencys_placement_history(client, agency_user, other_agency_user, case):
    client.force_login(other_agency_user)
    assert client.get(f"/history/placements/placement/{case.placement_id}/").status_code == 404
    assert client.get(f"/history/placements/worker/{case.placement.worker_id}/").status_code == 404
    client.force_login(agency_user)
    assert client.get(f"/history/placements/placement/{case.placement_id}/").status_code == 200
    # A worker's history would name the users of every agency that placed them: it is the region's only.
    assert client.get(f"/history/placements/worker/{case.placement.worker_id}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "accounts/user/{user}",
        "compliance/breachline/1",
        "compliance/auditrun/1",
        "nosuch/model/1",
        "compliance/breach/999999",
    ],
)
def test_a_record_not_on_the_list_has_no_history_page(path, client, coordinator):
    client.force_login(coordinator)
    assert client.get("/history/" + path.format(user=coordinator.pk) + "/").status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(client, case):
    response = client.get(f"/history/compliance/breach/{case.pk}/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_versions_history_holds_its_caps_changes(client, council_user):
    version = MouVersionFactory(name="Agency Protocol 2025", effective_from=date(2025, 1, 1), status="in_force")
    cap = CapFactory(version=version, max_pay_rate=Decimal("30.00"))
    cap.max_pay_rate = Decimal("31.50")
    cap.save()
    client.force_login(council_user)
    page = text(client.get(f"/history/mou/mouversion/{version.pk}/"))
    assert f"cap {cap.pk}: SW (any engagement) ≤ £31.50/h pay max pay rate: 30.00 → 31.50 by system" in page
    assert client.get(f"/history/mou/cap/{cap.pk}/").status_code == 200


def test_a_draft_versions_history_is_the_regions_only(client, council_user, analyst):
    draft = MouVersionFactory(name="Draft 2026", effective_from=date(2026, 4, 1), status="draft")
    cap = CapFactory(version=draft)
    client.force_login(council_user)
    assert client.get(f"/history/mou/mouversion/{draft.pk}/").status_code == 404
    assert client.get(f"/history/mou/cap/{cap.pk}/").status_code == 404
    client.force_login(analyst)
    assert client.get(f"/history/mou/mouversion/{draft.pk}/").status_code == 200


def test_a_corrective_actions_history_holds_its_remedial_actions(client, agency_user, agency_a, coordinator):
    action = CorrectiveActionFactory(agency=agency_a, summary="Repay the excess", status="issued")
    item = CorrectiveActionItemFactory(corrective_action=action, description="Repay £37.50", due_on=date(2025, 6, 30))
    with pghistory.context(user=coordinator.pk):
        item.done_on = date(2025, 6, 1)
        item.save()
    client.force_login(agency_user)
    page = text(client.get(f"/history/compliance/correctiveaction/{action.pk}/"))
    assert "done on: — → 1 Jun 2025 by coordinator" in page
    assert "created by system" in page


def test_a_workforce_return_history_is_its_councils(client, council_user, other_council_user, agency_user, solihull):
    workforce_return = WorkforceReturnFactory(
        authority=solihull,
        period_end=date(2024, 9, 30),
        permanent_fte=Decimal("250.00"),
        agency_fte=Decimal("40.00"),
        vacancies_fte=Decimal("30.00"),
        leavers_fte=Decimal("35.00"),
        absence_rate=None,
    )
    url = history_url(workforce_return)
    client.force_login(council_user)
    assert client.get(url).status_code == 200
    for someone in (other_council_user, agency_user):
        client.force_login(someone)
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("changes", [2, 20])
def test_a_history_page_takes_the_same_queries_however_many_changes(changes, client, coordinator, case):
    for n in range(changes):
        with pghistory.context(user=coordinator.pk):
            case.severity = "serious" if n % 2 == 0 else "minor"
            case.save()
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/history/compliance/breach/{case.pk}/")
    # 1 SAVEPOINT, 2 session, 3 user, 4 the case (scoped, with its relations), 5 count of events, 6 the page of events
    # (pghistory's aggregate of the event table, with each event's diff and context), 7-9 the agency, authority and
    # placement its first event names, 10 the users named, 11 RELEASE.
    assert len(queries) == 11


def test_what_a_cooling_off_case_once_said_of_the_other_council_stays_with_the_region(
    client, coordinator, agency_user, council_user, agency_a, solihull
):
    """A case written before the agency was told less (its description named the council the worker left and why,
    rewritten since): the agency and the placement's council read the case and its history without the old words;
    the coordinator reads every change."""
    from compliance.models import Breach

    case = BreachFactory(
        placement__agency=agency_a,
        placement__authority=solihull,
        rule=Breach.Rule.COOLING_OFF,
        description="The worker left a permanent post at Coventry on 15/03/2024 (resignation).",
    )
    Breach.objects.filter(pk=case.pk).update(
        description="The worker left a permanent post in the region on 15/03/2024."
    )
    for reader in (agency_user, council_user):
        client.force_login(reader)
        for url in (f"/history/compliance/breach/{case.pk}/", f"/breaches/{case.pk}/"):
            page = text(client.get(url))
            assert "Coventry" not in page and "resignation" not in page, (reader.username, url)
    client.force_login(coordinator)
    assert "Coventry" in text(client.get(f"/history/compliance/breach/{case.pk}/"))
