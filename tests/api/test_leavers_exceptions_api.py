"""`permanent-leavers/` and `cap-exceptions/` (SPEC §7): councils record their own, the coordinator any."""

from datetime import date

from django.utils import timezone

import pytest

from placements.models import CapException, PermanentLeaver, Worker
from tests.api.test_reference_api import token_client
from tests.factories import CapExceptionFactory, PermanentLeaverFactory, PlacementFactory, WorkerFactory

pytestmark = pytest.mark.django_db

LEAVER = {"worker_swe_number": "SW445566", "left_on": "2025-02-28", "reason": "resignation"}


# --- permanent leavers


def test_a_council_records_a_leaver_at_its_authority_registering_the_worker(council_user):
    response = token_client(council_user).post("/api/v1/permanent-leavers/", LEAVER, format="json")
    assert response.status_code == 201
    leaver = PermanentLeaver.objects.get()
    assert response.json() == {
        "id": leaver.pk,
        "authority": "E08000029",
        "worker_swe_number": "SW445566",
        "left_on": "2025-02-28",
        "reason": "resignation",
    }
    assert (leaver.recorded_by, leaver.worker.verified_qualified_on) == (council_user, None)


def test_a_council_cannot_record_a_leaver_at_another_authority(council_user):
    response = token_client(council_user).post(
        "/api/v1/permanent-leavers/", {**LEAVER, "authority": "E08000026"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"authority": ["You can only record leavers at your own authority."]}
    assert not PermanentLeaver.objects.exists()
    assert not Worker.objects.exists()


def test_the_coordinator_records_a_leaver_at_the_authority_it_names(coordinator):
    client = token_client(coordinator)
    assert client.post("/api/v1/permanent-leavers/", LEAVER, format="json").json() == {
        "authority": ["This field is required."]
    }
    response = client.post("/api/v1/permanent-leavers/", {**LEAVER, "authority": "E08000026"}, format="json")
    assert response.status_code == 201
    assert response.json()["authority"] == "E08000026"


def test_the_same_leaver_twice_is_a_clear_error(council_user, solihull):
    PermanentLeaverFactory(authority=solihull, worker=WorkerFactory(swe_number="SW445566"), left_on=date(2025, 2, 28))
    response = token_client(council_user).post("/api/v1/permanent-leavers/", LEAVER, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Permanent leaver with this Authority, Worker and Left on already exists."]
    }
    assert PermanentLeaver.objects.count() == 1


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"reason": "sacked"}, {"reason": ['"sacked" is not a valid choice.']}),
        (
            {"left_on": "28/02/2025"},
            {"left_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"worker_swe_number": "SW"},
            {"worker_swe_number": ["Enter a Social Work England registration number, e.g. SW123456."]},
        ),
    ],
)
def test_bad_leaver_input_is_a_field_error_and_nothing_is_stored(council_user, change, errors):
    response = token_client(council_user).post("/api/v1/permanent-leavers/", {**LEAVER, **change}, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not PermanentLeaver.objects.exists()


@pytest.mark.parametrize("persona", ["agency_user", "analyst"])
def test_agencies_and_analysts_may_not_record_leavers(persona, request):
    response = token_client(request.getfixturevalue(persona)).post(
        "/api/v1/permanent-leavers/", {**LEAVER, "authority": "E08000029"}, format="json"
    )
    assert response.status_code == 403
    assert not PermanentLeaver.objects.exists()


@pytest.fixture
def leavers(solihull, coventry):
    return {
        "solihull": PermanentLeaverFactory(authority=solihull, left_on=date(2024, 6, 30)),
        "coventry": PermanentLeaverFactory(authority=coventry, left_on=date(2024, 3, 31), reason="redundancy"),
    }


def test_a_council_sees_only_its_own_leavers(other_council_user, leavers):
    client = token_client(other_council_user)
    assert [row["id"] for row in client.get("/api/v1/permanent-leavers/").json()["results"]] == [leavers["coventry"].pk]
    assert client.get(f"/api/v1/permanent-leavers/{leavers['solihull'].pk}/").status_code == 404


def test_agencies_see_no_leavers(agency_user, leavers):
    client = token_client(agency_user)
    assert client.get("/api/v1/permanent-leavers/").json()["count"] == 0
    assert client.get(f"/api/v1/permanent-leavers/{leavers['solihull'].pk}/").status_code == 404


def test_the_analyst_filters_leavers_by_reason_and_date(analyst, leavers):
    client = token_client(analyst)
    body = client.get("/api/v1/permanent-leavers/?reason=redundancy").json()
    assert [row["id"] for row in body["results"]] == [leavers["coventry"].pk]
    body = client.get("/api/v1/permanent-leavers/?left_on_after=2024-04-01&authority=E08000029").json()
    assert [row["id"] for row in body["results"]] == [leavers["solihull"].pk]


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_leavers_takes_the_same_queries_for_3_or_30(rows, council_user, solihull, django_assert_num_queries):
    PermanentLeaverFactory.create_batch(rows, authority=solihull)
    client = token_client(council_user)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; leavers with authority and worker; release.
    with django_assert_num_queries(5):
        assert client.get("/api/v1/permanent-leavers/").json()["count"] == rows


# --- cap exceptions

EXCEPTION = {
    "signed_by_dcs": "J. Okafor",
    "signed_by_chief_executive": "R. Patel",
    "reason": "Only applicant for a court team post",
    "valid_until": "2099-12-31",
}


@pytest.fixture
def placements(agency_a, agency_b, solihull, coventry):
    return {
        "solihull": PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2024, 4, 1)),
        "coventry": PlacementFactory(agency=agency_b, authority=coventry, start_date=date(2024, 4, 1)),
    }


def test_a_council_records_an_exception_for_a_placement_at_its_authority_from_today(council_user, placements):
    placement = placements["solihull"]
    response = token_client(council_user).post(
        "/api/v1/cap-exceptions/", {**EXCEPTION, "placement": placement.pk}, format="json"
    )
    assert response.status_code == 201
    exception = CapException.objects.get()
    assert response.json() == {
        "id": exception.pk,
        "placement": placement.pk,
        "signed_by_dcs": "J. Okafor",
        "signed_by_chief_executive": "R. Patel",
        "reason": "Only applicant for a court team post",
        "valid_from": f"{timezone.localdate():%Y-%m-%d}",
        "valid_until": "2099-12-31",
    }
    assert exception.recorded_by == council_user


def test_an_exception_for_a_placement_not_yet_started_runs_from_its_start(coordinator, agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2099, 1, 4))
    response = token_client(coordinator).post(
        "/api/v1/cap-exceptions/", {**EXCEPTION, "placement": placement.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["valid_from"] == "2099-01-04"


def test_a_council_may_give_the_date_an_exception_applies_from(council_user, placements):
    response = token_client(council_user).post(
        "/api/v1/cap-exceptions/",
        {**EXCEPTION, "placement": placements["solihull"].pk, "valid_from": "2024-04-01", "valid_until": "2024-09-30"},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["valid_from"], response.json()["valid_until"]) == ("2024-04-01", "2024-09-30")


def test_a_placement_at_another_authority_is_not_revealed(council_user, placements):
    client = token_client(council_user)
    for placement_id in (placements["coventry"].pk, 999999):
        response = client.post("/api/v1/cap-exceptions/", {**EXCEPTION, "placement": placement_id}, format="json")
        assert response.status_code == 400
        assert response.json() == {"placement": ["not a placement at your authority"]}
    assert not CapException.objects.exists()


def test_an_exception_ending_before_it_starts_is_refused(council_user, placements):
    response = token_client(council_user).post(
        "/api/v1/cap-exceptions/",
        {**EXCEPTION, "placement": placements["solihull"].pk, "valid_from": "2024-06-01", "valid_until": "2024-05-31"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"valid_until": ["The exception would end before it starts (01/06/2024)."]}
    assert not CapException.objects.exists()


def test_an_exception_needs_both_signatures(council_user, placements):
    response = token_client(council_user).post(
        "/api/v1/cap-exceptions/",
        {**EXCEPTION, "placement": placements["solihull"].pk, "signed_by_chief_executive": ""},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"signed_by_chief_executive": ["This field may not be blank."]}
    assert not CapException.objects.exists()


@pytest.mark.parametrize("persona", ["agency_user", "analyst"])
def test_agencies_and_analysts_may_not_record_exceptions(persona, request, placements):
    response = token_client(request.getfixturevalue(persona)).post(
        "/api/v1/cap-exceptions/", {**EXCEPTION, "placement": placements["solihull"].pk}, format="json"
    )
    assert response.status_code == 403
    assert not CapException.objects.exists()


def test_an_agency_reads_the_exceptions_on_its_own_placements_only(agency_user, placements):
    own = CapExceptionFactory(placement=placements["solihull"])
    other = CapExceptionFactory(placement=placements["coventry"])
    client = token_client(agency_user)
    assert [row["id"] for row in client.get("/api/v1/cap-exceptions/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/cap-exceptions/{other.pk}/").status_code == 404


def test_a_council_reads_the_exceptions_at_its_authority_only(other_council_user, placements):
    own = CapExceptionFactory(placement=placements["coventry"])
    other = CapExceptionFactory(placement=placements["solihull"])
    client = token_client(other_council_user)
    assert [row["id"] for row in client.get("/api/v1/cap-exceptions/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/cap-exceptions/{other.pk}/").status_code == 404


def test_exceptions_filter_by_the_day_they_cover(coordinator, placements):
    summer = CapExceptionFactory(placement=placements["solihull"])  # 1 April to 30 September 2024
    CapExceptionFactory(placement=placements["coventry"], valid_from=date(2024, 10, 1), valid_until=date(2025, 3, 31))
    body = token_client(coordinator).get("/api/v1/cap-exceptions/?live_on=2024-09-30").json()
    assert [row["id"] for row in body["results"]] == [summer.pk]


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_exceptions_takes_the_same_queries_for_3_or_30(rows, coordinator, django_assert_num_queries):
    CapExceptionFactory.create_batch(rows)
    client = token_client(coordinator)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; exceptions; release.
    with django_assert_num_queries(5):
        assert client.get("/api/v1/cap-exceptions/").json()["count"] == rows
