"""What an agency says of a worker stays that agency's (SPEC §3 worker): a qualification date is the claim of the agency
that made it, kept with its placement. Another agency never reads it, inherits it or is judged by it; the coordinator
sees the claims that disagree and records a verified date, which wins and has the audit judge the placements again."""

from datetime import date

import pytest

from compliance.models import Breach
from placements.models import Placement
from placements.services import placement_register, worker_qualification_verify
from tests.compliance.test_audit import run_audit
from tests.factories import PlacementFactory, WorkerFactory, authority, role

pytestmark = pytest.mark.django_db


def register(agency, *, qualified_on, start):
    return placement_register(
        agency=agency,
        authority=authority(),
        role=role("SW"),
        worker_swe_number="SW700123",
        engagement_type="paye",
        start_date=start,
        pay_rate="20.00",
        charge_rate="28.00",
        worker_qualified_on=qualified_on,
    )


def test_the_audit_judges_each_agency_by_its_own_claim_until_the_coordinator_verifies(
    versions, agency_a, agency_b, coordinator
):
    # A says the worker qualified in 2024 (under 3 years by 2025); B says 2015.
    alpha = register(agency_a, qualified_on=date(2024, 1, 10), start=date(2025, 6, 2))
    beta = register(agency_b, qualified_on=date(2015, 1, 10), start=date(2025, 7, 7))
    quiet = register(agency_b, qualified_on=None, start=date(2025, 8, 4))  # B says nothing: no date, not A's
    assert Placement.objects.get(pk=quiet.pk).worker_qualified_on is None
    run_audit()
    assert list(Breach.objects.values_list("placement", "rule")) == [(alpha.pk, "experience_below_minimum")]

    # The register says 2015: the coordinator verifies it; A's case is judged again and dismissed.
    worker_qualification_verify(worker=alpha.worker, qualified_on=date(2015, 1, 10), by=coordinator)
    run_audit()
    case = Breach.objects.get()
    assert case.status == "dismissed"
    assert case.dismissed_reason == (
        "Qualification date of SW700123 verified as 10 January 2015: the placement no longer breaks this rule."
    )
    assert Placement.objects.get(pk=beta.pk).worker_qualified_on == date(2015, 1, 10)


def test_a_verified_date_wins_over_a_claim_and_opens_the_case_it_implies(versions, agency_a, coordinator):
    placement = register(agency_a, qualified_on=date(2015, 1, 10), start=date(2025, 6, 2))
    run_audit()
    assert not Breach.objects.exists()
    worker_qualification_verify(worker=placement.worker, qualified_on=date(2023, 9, 1), by=coordinator)
    run_audit()
    case = Breach.objects.get()
    assert (case.rule, case.placement_id) == ("experience_below_minimum", placement.pk)
    assert case.description.startswith("Qualified on 01/09/2023 (verified); started 02/06/2025")


def test_only_the_coordinator_verifies(agency_user, council_user, analyst):
    from django.core.exceptions import PermissionDenied

    worker = WorkerFactory()
    for user in (agency_user, council_user, analyst):
        with pytest.raises(PermissionDenied):
            worker_qualification_verify(worker=worker, qualified_on=date(2015, 1, 1), by=user)
    worker.refresh_from_db()
    assert worker.verified_qualified_on is None


def test_the_coordinator_sees_the_claims_that_disagree_and_records_the_verified_date(
    client, coordinator, agency_a, agency_b
):
    worker = WorkerFactory(swe_number="SW700123")
    PlacementFactory(worker=worker, agency=agency_a, worker_qualified_on=date(2024, 1, 10))
    PlacementFactory(worker=worker, agency=agency_b, worker_qualified_on=date(2015, 1, 10), start_date=date(2024, 9, 2))
    agreeing = WorkerFactory(swe_number="SW700999")
    PlacementFactory(worker=agreeing, agency=agency_a, worker_qualified_on=date(2015, 1, 10))
    PlacementFactory(worker=agreeing, agency=agency_b, worker_qualified_on=date(2015, 1, 10))
    client.force_login(coordinator)
    page = client.get("/workers/qualification/").content.decode()
    assert "SW700123" in page and "SW700999" not in page
    assert "Alpha Locums Ltd: 10 January 2024" in page
    assert "Beta Social Care Staffing Ltd: 10 January 2015" in page

    response = client.post(f"/workers/{worker.pk}/verify-qualification/", {"qualified_on": "2015-01-10"}, follow=True)
    assert "verified as 10 January 2015" in response.content.decode()
    worker.refresh_from_db()
    assert (worker.verified_qualified_on, worker.qualified_on_verified_by) == (date(2015, 1, 10), coordinator)
    # Verified: off the default list, on the "all" list with its verified date.
    assert "SW700123" not in client.get("/workers/qualification/").content.decode()
    assert "10 January 2015" in client.get("/workers/qualification/?show=all").content.decode()


@pytest.mark.parametrize("persona", ["agency_user", "council_user"])
def test_tenants_cannot_read_the_page_of_claims(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/workers/qualification/").status_code == 403
    worker = WorkerFactory()
    assert client.post(f"/workers/{worker.pk}/verify-qualification/", {"qualified_on": "2015-01-10"}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_each_placements_date_as_its_agencys_claim(agency_a):
    """Before: one date on the worker, whoever gave it. After: the same date on each of the worker's placements, and
    no verified date (nobody verified it)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("placements", "0006_superseded_lines_index")], [("placements", "0007_worker_facts_are_claims")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    worker = old.get_model("placements", "Worker").objects.create(swe_number="SW700123", qualified_on=date(2016, 5, 1))
    unknown = old.get_model("placements", "Worker").objects.create(swe_number="SW700124")
    Old = old.get_model("placements", "Placement")
    common = dict(
        agency_id=agency_a.pk,
        authority_id=authority().pk,
        role_id=role("SW").pk,
        engagement_type="paye",
        pay_rate="20.00",
        on_costs="0",
        charge_rate="28.00",
    )
    first = Old.objects.create(worker_id=worker.pk, start_date=date(2024, 1, 8), **common)
    second = Old.objects.create(worker_id=worker.pk, start_date=date(2025, 1, 6), **common)
    third = Old.objects.create(worker_id=unknown.pk, start_date=date(2025, 1, 6), **common)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    claims = dict(new.get_model("placements", "Placement").objects.values_list("pk", "worker_qualified_on"))
    assert claims == {first.pk: date(2016, 5, 1), second.pk: date(2016, 5, 1), third.pk: None}
    assert not new.get_model("placements", "Worker").objects.exclude(verified_qualified_on=None).exists()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
