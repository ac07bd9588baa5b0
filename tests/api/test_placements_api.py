"""`placements/` (SPEC §7): agencies register their own, the coordinator any; councils and analysts read."""

from datetime import date
from decimal import Decimal

import pytest

from agencies.models import Agency, Suspension
from placements.models import Placement, Worker
from tests.api.test_reference_api import token_client
from tests.factories import PlacementFactory, SuspensionFactory, TimesheetLineFactory, role

pytestmark = pytest.mark.django_db

NEW_PLACEMENT = {
    "authority": "E08000029",
    "role": "SSW",
    "engagement_type": "umbrella",
    "worker_swe_number": "sw765432",
    "worker_qualified_on": "2019-07-15",
    "start_date": "2025-05-05",
    "pay_rate": "31.50",
    "charge_rate": "42.00",
}


def test_an_agency_registers_a_placement_and_an_unknown_worker_with_it(agency_user, agency_a):
    response = token_client(agency_user).post("/api/v1/placements/", NEW_PLACEMENT, format="json")
    assert response.status_code == 201
    placement = Placement.objects.get()
    assert response.json() == {
        "id": placement.pk,
        "agency": agency_a.pk,
        "authority": "E08000029",
        "role": "SSW",
        "engagement_type": "umbrella",
        "worker_swe_number": "SW765432",
        "worker_qualified_on": "2019-07-15",
        "worker_qualified_on_verified": None,
        "start_date": "2025-05-05",
        "end_date": None,
        "pay_rate": "31.50",
        "on_costs": "0.00",
        "charge_rate": "42.00",
        "project_team": False,
        "references": [],
    }
    assert placement.created_by == agency_user
    assert (placement.worker_qualified_on, Worker.objects.get().verified_qualified_on) == (date(2019, 7, 15), None)


def test_an_agency_may_name_its_own_agency_but_not_another(agency_user, agency_a, agency_b):
    client = token_client(agency_user)
    assert (
        client.post("/api/v1/placements/", {**NEW_PLACEMENT, "agency": agency_a.pk}, format="json").status_code == 201
    )
    response = client.post("/api/v1/placements/", {**NEW_PLACEMENT, "agency": agency_b.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"agency": ["You can only register placements for your own agency."]}
    assert list(Placement.objects.values_list("agency", flat=True)) == [agency_a.pk]


def test_the_coordinator_registers_for_the_agency_it_names(coordinator, agency_b):
    client = token_client(coordinator)
    response = client.post("/api/v1/placements/", NEW_PLACEMENT, format="json")
    assert response.status_code == 400
    assert response.json() == {"agency": ["This field is required."]}
    response = client.post("/api/v1/placements/", {**NEW_PLACEMENT, "agency": agency_b.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["agency"] == agency_b.pk


def test_a_suspended_agency_is_refused_with_the_reason(agency_user, agency_a, coordinator):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    ends_on = today + timedelta(days=30)
    SuspensionFactory(
        agency=agency_a,
        kind=Suspension.Kind.TEMPORARY,
        starts_on=today - timedelta(days=30),
        ends_on=ends_on,
        reason="Repeated pay above the cap.",
        imposed_by=coordinator,
    )
    Agency.objects.filter(pk=agency_a.pk).update(standing=Agency.Standing.SUSPENDED)
    response = token_client(agency_user).post("/api/v1/placements/", NEW_PLACEMENT, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "agency": [
            f"Alpha Locums Ltd is suspended until {ends_on:%d %B %Y} and cannot register new placements. "
            "Reason: Repeated pay above the cap."
        ]
    }
    assert not Placement.objects.exists()
    assert not Worker.objects.exists()


@pytest.mark.parametrize("persona", ["council_user", "analyst"])
def test_councils_and_analysts_may_not_register_placements(persona, request, agency_a):
    client = token_client(request.getfixturevalue(persona))
    response = client.post("/api/v1/placements/", {**NEW_PLACEMENT, "agency": agency_a.pk}, format="json")
    assert response.status_code == 403
    assert not Placement.objects.exists()


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"role": "XX"}, {"role": ["unknown role"]}),
        ({"authority": "E99999999"}, {"authority": ["unknown authority"]}),
        (
            {"worker_swe_number": "123456"},
            {"worker_swe_number": ["Enter a Social Work England registration number, e.g. SW123456."]},
        ),
        ({"pay_rate": "-1.00"}, {"pay_rate": ["Ensure this value is greater than or equal to 0."]}),
        ({"charge_rate": "forty"}, {"charge_rate": ["A valid number is required."]}),
        ({"engagement_type": "cash"}, {"engagement_type": ['"cash" is not a valid choice.']}),
        ({"end_date": "2025-05-04"}, {"end_date": ["The end date is before the start date."]}),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_stored(agency_user, change, errors):
    response = token_client(agency_user).post("/api/v1/placements/", {**NEW_PLACEMENT, **change}, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Placement.objects.exists()
    assert not Worker.objects.exists()


def test_another_agencys_claim_about_a_worker_is_neither_imposed_nor_disclosed(agency_user, other_agency_user):
    """Agency A says its worker qualified in 2025; agency B, placing the same worker, says 2018 (or nothing). B's
    placement keeps B's claim, B's answer never quotes A's, and nothing B sends changes A's placement."""
    beta = token_client(other_agency_user)
    alpha_answer = token_client(agency_user).post(
        "/api/v1/placements/", {**NEW_PLACEMENT, "worker_qualified_on": "2025-01-10"}, format="json"
    )
    assert alpha_answer.status_code == 201
    says_nothing = {k: v for k, v in NEW_PLACEMENT.items() if k != "worker_qualified_on"}
    silent = beta.post("/api/v1/placements/", {**says_nothing, "start_date": "2025-06-02"}, format="json")
    assert silent.status_code == 201
    assert silent.json()["worker_qualified_on"] is None  # not A's 2025
    own = beta.post(
        "/api/v1/placements/",
        {**NEW_PLACEMENT, "start_date": "2025-07-07", "worker_qualified_on": "2018-07-01"},
        format="json",
    )
    assert own.status_code == 201  # not refused with A's date
    assert "2025" not in own.content.decode().replace("2025-07-07", "")
    listed = beta.get("/api/v1/placements/").json()["results"]
    assert sorted(p["worker_qualified_on"] or "" for p in listed) == ["", "2018-07-01"]
    alpha = Placement.objects.get(pk=alpha_answer.json()["id"])
    assert alpha.worker_qualified_on == date(2025, 1, 10)
    assert Worker.objects.count() == 1


@pytest.fixture
def placements(agency_a, agency_b, solihull, coventry):
    """Alpha at Solihull (a social worker and a team manager), Beta at Coventry."""
    return {
        "a_sw": PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2024, 4, 1)),
        "a_tm": PlacementFactory(
            agency=agency_a,
            authority=solihull,
            role=role("TM"),
            start_date=date(2025, 1, 6),
            end_date=date(2025, 3, 31),
        ),
        "b_sw": PlacementFactory(agency=agency_b, authority=coventry, start_date=date(2024, 9, 2)),
    }


def ids(response):
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def test_an_agency_lists_its_own_placements_newest_first(agency_user, placements):
    assert ids(token_client(agency_user).get("/api/v1/placements/")) == [placements["a_tm"].pk, placements["a_sw"].pk]


def test_agency_cannot_read_another_agencys_placement(agency_user, placements):
    client = token_client(agency_user)
    assert client.get(f"/api/v1/placements/{placements['b_sw'].pk}/").status_code == 404
    assert client.get(f"/api/v1/placements/{placements['a_sw'].pk}/").status_code == 200


def test_a_council_sees_the_placements_at_its_authority_only(council_user, other_council_user, placements):
    assert ids(token_client(council_user).get("/api/v1/placements/")) == [placements["a_tm"].pk, placements["a_sw"].pk]
    client = token_client(other_council_user)
    assert ids(client.get("/api/v1/placements/")) == [placements["b_sw"].pk]
    assert client.get(f"/api/v1/placements/{placements['a_sw'].pk}/").status_code == 404


@pytest.mark.parametrize(
    "query, expected",
    [
        ("authority=E08000026", ["b_sw"]),
        ("role=TM", ["a_tm"]),
        ("agency={agency_b}", ["b_sw"]),
        ("active_on=2025-04-01", ["b_sw", "a_sw"]),
        ("active_on=2025-03-31", ["a_tm", "b_sw", "a_sw"]),
        ("start_date_after=2024-05-01&start_date_before=2024-12-31", ["b_sw"]),
        ("ordering=start_date", ["a_sw", "b_sw", "a_tm"]),
        ("engagement_type=limited", []),
    ],
)
def test_the_coordinator_filters_and_orders_placements(coordinator, placements, agency_b, query, expected):
    response = token_client(coordinator).get(f"/api/v1/placements/?{query.format(agency_b=agency_b.pk)}")
    assert ids(response) == [placements[key].pk for key in expected]


def test_an_unknown_authority_in_a_filter_is_a_400(coordinator):
    response = token_client(coordinator).get("/api/v1/placements/?authority=E99999999")
    assert response.status_code == 400
    assert list(response.json()) == ["authority"]


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_placements_takes_the_same_queries_for_3_or_30(rows, coordinator, agency_a, django_assert_num_queries):
    PlacementFactory.create_batch(rows, agency=agency_a)
    client = token_client(coordinator)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; placements with authority, role and worker; their
    # references; release.
    with django_assert_num_queries(6):
        response = client.get("/api/v1/placements/")
    assert response.json()["count"] == rows


# --- the end date, the one thing that changes after registration


def test_an_agency_sets_the_end_date_of_its_placement(agency_user, placements):
    response = token_client(agency_user).patch(
        f"/api/v1/placements/{placements['a_sw'].pk}/", {"end_date": "2025-07-31"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["end_date"] == "2025-07-31"
    placements["a_sw"].refresh_from_db()
    assert placements["a_sw"].end_date == date(2025, 7, 31)


def test_nothing_but_the_end_date_changes(agency_user, placements):
    response = token_client(agency_user).patch(
        f"/api/v1/placements/{placements['a_sw'].pk}/", {"end_date": "2025-07-31", "pay_rate": "99.00"}, format="json"
    )
    assert response.status_code == 400
    # A field of the placement the PATCH cannot change is read-only, in the words every resource uses (issue 17).
    assert response.json() == {"pay_rate": ["This field is read-only."]}
    placements["a_sw"].refresh_from_db()
    assert (placements["a_sw"].end_date, placements["a_sw"].pay_rate) == (None, Decimal("30.00"))


def test_an_end_date_before_submitted_work_is_refused(agency_user, placements):
    placement = placements["a_sw"]
    TimesheetLineFactory(
        timesheet__placement=placement,
        timesheet__week_ending=date(2025, 6, 8),
        date=date(2025, 6, 3),
        hours=Decimal("7.50"),
        pay_rate=Decimal("30.00"),
        charge_rate=Decimal("40.00"),
    )
    response = token_client(agency_user).patch(
        f"/api/v1/placements/{placement.pk}/", {"end_date": "2025-05-31"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"end_date": ["Timesheets record work on 03/06/2025, after this end date."]}


def test_another_agency_gets_404_and_a_council_403_when_ending_a_placement(other_agency_user, council_user, placements):
    url = f"/api/v1/placements/{placements['a_sw'].pk}/"
    assert token_client(other_agency_user).patch(url, {"end_date": "2025-07-31"}, format="json").status_code == 404
    assert token_client(council_user).patch(url, {"end_date": "2025-07-31"}, format="json").status_code == 403
    assert token_client(council_user).put(url, {"end_date": "2025-07-31"}, format="json").status_code == 403
    placements["a_sw"].refresh_from_db()
    assert placements["a_sw"].end_date is None


def test_placements_are_never_replaced_or_deleted(coordinator, placements):
    client = token_client(coordinator)
    url = f"/api/v1/placements/{placements['a_sw'].pk}/"
    assert client.put(url, NEW_PLACEMENT, format="json").status_code == 405
    assert client.delete(url).status_code == 405
