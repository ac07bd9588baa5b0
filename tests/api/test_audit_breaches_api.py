"""`audit-runs/` and `breaches/` (SPEC §7): the region watches audits; everyone reads the breaches in their scope."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

import pytest
from rest_framework.fields import DateTimeField

from compliance.models import AuditRun, Breach
from tests.api.test_reference_api import token_client
from tests.factories import (
    AgencyFactory,
    AuditRunFactory,
    BreachFactory,
    MouVersionFactory,
    PlacementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- audit runs


def test_the_coordinator_starts_an_audit_and_it_is_queued_after_the_commit(
    coordinator, django_capture_on_commit_callbacks
):
    client = token_client(coordinator)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/api/v1/audit-runs/")
    assert response.status_code == 202
    run = AuditRun.objects.get()
    body = response.json()
    assert body.pop("created_at") == DateTimeField().to_representation(run.created_at)
    assert body == {
        "id": run.pk,
        "status": "queued",
        "trigger": "manual",
        "lines_checked": 0,
        "lines_rejudged": 0,
        "placements_rejudged": 0,
        "breaches_found": 0,
        "progress": 0,
        "started_at": None,
        "finished_at": None,
    }
    assert (run.requested_by, len(callbacks)) == (coordinator, 1)


def test_starting_an_audit_while_one_is_queued_returns_that_one(coordinator):
    client = token_client(coordinator)
    first = client.post("/api/v1/audit-runs/").json()["id"]
    assert client.post("/api/v1/audit-runs/").json()["id"] == first
    assert AuditRun.objects.count() == 1


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_starts_an_audit(persona, request):
    assert token_client(request.getfixturevalue(persona)).post("/api/v1/audit-runs/").status_code == 403
    assert not AuditRun.objects.exists()


def test_the_analyst_watches_a_running_audit(analyst):
    run = AuditRunFactory(
        status=AuditRun.Status.RUNNING,
        trigger="nightly",
        started_at=timezone.make_aware(datetime(2025, 5, 1, 2, 0)),
        lines_checked=42_000,
        breaches_found=3,
        progress=40,
    )
    body = token_client(analyst).get(f"/api/v1/audit-runs/{run.pk}/").json()
    assert (body["status"], body["progress"], body["lines_checked"], body["breaches_found"]) == (
        "running",
        40,
        42_000,
        3,
    )
    assert body["started_at"] == "2025-05-01T02:00:00+01:00"


@pytest.mark.parametrize("persona", ["council_user", "agency_user"])
def test_councils_and_agencies_see_no_audit_runs(persona, request):
    run = AuditRunFactory()
    client = token_client(request.getfixturevalue(persona))
    assert client.get("/api/v1/audit-runs/").json()["count"] == 0
    assert client.get(f"/api/v1/audit-runs/{run.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_audit_runs_takes_the_same_queries_for_3_or_30(rows, coordinator, django_assert_num_queries):
    AuditRun.objects.bulk_create([AuditRun(status=AuditRun.Status.FINISHED, progress=100) for _ in range(rows)])
    client = token_client(coordinator)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; runs; release.
    with django_assert_num_queries(5):
        assert client.get("/api/v1/audit-runs/").json()["count"] == rows


# --- breaches


@pytest.fixture
def breaches(agency_a, agency_b, solihull, coventry, coordinator):
    version = MouVersionFactory(name="April 2018", effective_from=date(2018, 4, 1))
    a = PlacementFactory(agency=agency_a, authority=solihull)
    b = PlacementFactory(agency=agency_b, authority=coventry)
    return {
        "a_pay": BreachFactory(
            placement=a,
            rule=Breach.Rule.PAY_RATE_ABOVE_CAP,
            mou_version=version,
            cap_amount=Decimal("25.00"),
            excess_hours=Decimal("15.00"),
            excess_amount=Decimal("37.50"),
            lines_count=2,
            assignee=coordinator,
        ),
        "a_manual": BreachFactory(
            placement=a,
            rule=Breach.Rule.MANUAL,
            severity=Breach.Severity.SERIOUS,
            description="Approached a worker in post",
        ),
        "b_pay": BreachFactory(
            placement=b,
            rule=Breach.Rule.PAY_RATE_ABOVE_CAP,
            mou_version=version,
            excess_amount=Decimal("120.00"),
            status=Breach.Status.UNDER_REVIEW,
        ),
    }


def test_a_breach_comes_with_its_evidence(agency_user, breaches):
    found = breaches["a_pay"]
    body = token_client(agency_user).get(f"/api/v1/breaches/{found.pk}/").json()
    assert body.pop("detected_at") == DateTimeField().to_representation(found.detected_at)
    assert body == {
        "id": found.pk,
        "agency": found.agency_id,
        "authority": "E08000029",
        "placement": found.placement_id,
        "rule": "pay_rate_above_cap",
        "severity": "minor",
        "status": "open",
        "cap_amount": "25.00",
        "excess_hours": "15.00",
        "excess_amount": "37.50",
        "lines_count": 2,
        "mou_version": found.mou_version_id,
        "assignee": "coordinator",
        "description": "",
        "leaver_detail": None,  # a cooling-off case only (issue 17)
    }


def test_agency_cannot_read_another_agencys_breach(agency_user, breaches):
    client = token_client(agency_user)
    ids = [row["id"] for row in client.get("/api/v1/breaches/").json()["results"]]
    assert ids == [breaches["a_manual"].pk, breaches["a_pay"].pk]
    assert client.get(f"/api/v1/breaches/{breaches['b_pay'].pk}/").status_code == 404


def test_a_council_reads_the_breaches_at_its_authority_only(other_council_user, breaches):
    client = token_client(other_council_user)
    assert [row["id"] for row in client.get("/api/v1/breaches/").json()["results"]] == [breaches["b_pay"].pk]
    assert client.get(f"/api/v1/breaches/{breaches['a_pay'].pk}/").status_code == 404


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ordering=-excess_amount", ["b_pay", "a_pay", "a_manual"]),
        ("ordering=detected_at", ["a_pay", "a_manual", "b_pay"]),
        ("rule=manual", ["a_manual"]),
        ("status=under_review", ["b_pay"]),
        ("severity=serious", ["a_manual"]),
        ("authority=E08000026", ["b_pay"]),
        ("assignee=coordinator", ["a_pay"]),
        ("detected_after=2000-01-01&rule=pay_rate_above_cap&ordering=id", ["a_pay", "b_pay"]),
        ("detected_before=2000-01-01", []),
    ],
)
def test_the_coordinator_filters_and_sorts_the_breaches(coordinator, breaches, query, expected):
    body = token_client(coordinator).get(f"/api/v1/breaches/?{query}").json()
    assert [row["id"] for row in body["results"]] == [breaches[key].pk for key in expected]


def test_breaches_filter_by_agency(analyst, breaches, agency_b):
    body = token_client(analyst).get(f"/api/v1/breaches/?agency={agency_b.pk}").json()
    assert [row["id"] for row in body["results"]] == [breaches["b_pay"].pk]


def test_breaches_are_never_deleted_through_the_api(coordinator, breaches):
    # Writes (PATCH by the coordinator, a council's manual POST) are tests/api/test_breaches_write_api.py.
    client = token_client(coordinator)
    assert client.delete(f"/api/v1/breaches/{breaches['a_pay'].pk}/").status_code in (403, 405)
    assert Breach.objects.count() == 3


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_breaches_takes_the_same_queries_for_3_or_30(rows, coordinator, django_assert_num_queries):
    agency, assignee = AgencyFactory(), UserFactory(role="coordinator")
    for _ in range(rows):
        BreachFactory(placement__agency=agency, rule=Breach.Rule.MANUAL, assignee=assignee)
    client = token_client(coordinator)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; breaches with authority and assignee; release.
    with django_assert_num_queries(5):
        assert client.get("/api/v1/breaches/").json()["count"] == rows
