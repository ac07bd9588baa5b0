"""What an agency learns of a cooling-off case (issue 17, point 11): what it needs to act (its worker left a
permanent post in the region on a date within the period), never which council nor why the worker left; that rest
is shown to the coordinator and to the council the worker left only."""

from datetime import date

import pytest

from compliance.models import Breach
from tests.api.test_reference_api import token_client
from tests.compliance.test_audit import run_audit
from tests.factories import PermanentLeaverFactory, PlacementFactory, UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db

SAFE = (
    "The worker left a permanent post in the region on 15/03/2024; the placement started 14/03/2025, within the "
    "12 months' cooling-off period."
)
RESTRICTED = "Left a permanent post at Coventry on 15/03/2024 (resignation)."


@pytest.fixture
def case(versions, agency_a, solihull, coventry):
    worker = WorkerFactory()
    PermanentLeaverFactory(worker=worker, authority=coventry, left_on=date(2024, 3, 15), reason="resignation")
    PlacementFactory(worker=worker, agency=agency_a, authority=solihull, start_date=date(2025, 3, 14))
    run_audit()
    return Breach.objects.get(rule="cooling_off")


def test_the_case_says_what_the_agency_needs_to_act_and_nothing_else(case):
    assert case.description == SAFE


@pytest.mark.parametrize("persona", ["agency_user", "council_user"])
def test_the_agency_and_the_placements_council_read_neither_the_other_council_nor_the_reason(case, persona, request):
    body = token_client(request.getfixturevalue(persona)).get(f"/api/v1/breaches/{case.pk}/").json()
    assert body["description"] == SAFE
    assert body["leaver_detail"] is None


def test_the_coordinator_reads_where_and_why_the_worker_left(case, coordinator):
    body = token_client(coordinator).get(f"/api/v1/breaches/{case.pk}/").json()
    assert body["leaver_detail"] == RESTRICTED


def test_the_council_the_worker_left_reads_it_when_the_case_is_its_own(versions, agency_a, solihull):
    worker = WorkerFactory()
    PermanentLeaverFactory(worker=worker, authority=solihull, left_on=date(2024, 3, 15), reason="resignation")
    PlacementFactory(worker=worker, agency=agency_a, authority=solihull, start_date=date(2025, 3, 14))
    run_audit()
    case = Breach.objects.get(rule="cooling_off")
    council = UserFactory(username="solihull2", role="council", authority=solihull)
    body = token_client(council).get(f"/api/v1/breaches/{case.pk}/").json()
    assert body["leaver_detail"] == "Left a permanent post at Solihull on 15/03/2024 (resignation)."


def test_the_breach_page_shows_the_agency_the_safe_words_only(client, case, agency_user, coordinator):
    client.force_login(agency_user)
    page = client.get(f"/breaches/{case.pk}/").content.decode()
    assert "left a permanent post in the region on 15/03/2024" in page
    assert "Coventry" not in page and "resignation" not in page
    client.force_login(coordinator)
    assert RESTRICTED in client.get(f"/breaches/{case.pk}/").content.decode()
