"""`suspensions/` (SPEC §7): the coordinator imposes and lifts; councils read every agency's, an agency its own."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

import pytest
from rest_framework.fields import DateTimeField

from agencies.models import Agency, Suspension
from agencies.services import agency_remove
from compliance.models import Breach
from compliance.suspensions import agency_suspend
from placements.models import Placement
from tests.api.test_reference_api import token_client
from tests.factories import AgencyFactory, BreachFactory, PlacementFactory

pytestmark = pytest.mark.django_db

REASON = "Charged above the cap on three placements after a written warning."


def today():
    return timezone.localdate()


def days(n):
    return today() + timedelta(days=n)


def suspend(agency, by, **overrides):
    values = {"kind": "temporary", "starts_on": today(), "ends_on": days(90), "reason": REASON}
    return agency_suspend(agency=agency, by=by, **{**values, **overrides})


def new(agency_, **overrides):
    return {"agency": agency_.pk, "kind": "temporary", "ends_on": days(30).isoformat(), "reason": REASON, **overrides}


# --- Imposing


def test_the_coordinator_suspends_an_agency_citing_its_breaches(
    coordinator, council_user, agency_a, django_capture_on_commit_callbacks
):
    council_user.email = "workforce@solihull.example"
    council_user.save()
    placement = PlacementFactory(agency=agency_a)
    case = BreachFactory(placement=placement, rule=Breach.Rule.PAY_RATE_ABOVE_CAP)
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(coordinator).post(
            "/api/v1/suspensions/", new(agency_a, breaches=[case.pk]), format="json"
        )
    assert response.status_code == 201
    suspension = Suspension.objects.get()
    body = response.json()
    assert body.pop("imposed_at") == DateTimeField().to_representation(suspension.imposed_at)
    assert body == {
        "id": suspension.pk,
        "agency": agency_a.pk,
        "kind": "temporary",
        "starts_on": today().isoformat(),
        "ends_on": days(30).isoformat(),
        "reason": REASON,
        "breaches": [case.pk],
        "lifted_on": None,
        "active": True,
        "imposed_by": "coordinator",
        "lifted_by": None,
        "lift_reason": "",
    }
    agency_a.refresh_from_db()
    case.refresh_from_db()
    assert (agency_a.standing, case.status) == ("suspended", "escalated")
    assert [m.to for m in mail.outbox] == [["workforce@solihull.example"]]


def test_then_the_agency_cannot_register_a_placement_through_the_api(coordinator, agency_user, agency_a):
    token_client(coordinator).post("/api/v1/suspensions/", new(agency_a, kind="ongoing", ends_on=None), format="json")
    response = token_client(agency_user).post(
        "/api/v1/placements/",
        {
            "authority": "E08000029",
            "role": "SW",
            "engagement_type": "paye",
            "worker_swe_number": "SW765432",
            "start_date": days(1).isoformat(),
            "pay_rate": "30.00",
            "charge_rate": "40.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "agency": [f"Alpha Locums Ltd is suspended and cannot register new placements. Reason: {REASON}"]
    }
    assert not Placement.objects.exists()


def test_a_suspension_starting_later_is_not_active_yet(coordinator, agency_a):
    body = (
        token_client(coordinator)
        .post(
            "/api/v1/suspensions/",
            new(agency_a, starts_on=days(7).isoformat(), ends_on=days(14).isoformat()),
            format="json",
        )
        .json()
    )
    assert (body["starts_on"], body["active"]) == (days(7).isoformat(), False)
    agency_a.refresh_from_db()
    assert agency_a.standing == "approved"


@pytest.mark.parametrize(
    "overrides, errors",
    [
        ({"ends_on": None}, {"ends_on": ["A temporary suspension needs the date it ends."]}),
        ({"kind": "forever"}, {"kind": ['"forever" is not a valid choice.']}),
        ({"reason": ""}, {"reason": ["This field may not be blank."]}),
        ({"agency": 999999}, {"agency": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_wrong_input_is_a_400_with_field_errors(coordinator, agency_a, overrides, errors):
    response = token_client(coordinator).post("/api/v1/suspensions/", new(agency_a, **overrides), format="json")
    assert (response.status_code, response.json()) == (400, errors)
    assert not Suspension.objects.exists()


def test_breaches_of_another_agency_are_refused(coordinator, agency_a, agency_b):
    placement = PlacementFactory(agency=agency_b)
    other = BreachFactory(placement=placement, authority=None, rule=Breach.Rule.PAY_RATE_ABOVE_CAP)
    response = token_client(coordinator).post("/api/v1/suspensions/", new(agency_a, breaches=[other.pk]), format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"breaches": [f"Breach cases {other.pk} are not Alpha Locums Ltd's: cite only its own cases."]},
    )


def test_a_removed_agency_cannot_be_suspended(coordinator, agency_a):
    agency_remove(agency=agency_a, by=coordinator, reason="Supplied while suspended.")
    response = token_client(coordinator).post("/api/v1/suspensions/", new(agency_a), format="json")
    assert (response.status_code, response.json()) == (
        400,
        {
            "non_field_errors": [
                "Alpha Locums Ltd has been removed from the MoU's list of agencies; a removed agency stays removed."
            ]
        },
    )


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_imposes_and_lifts(persona, request, coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    client = token_client(request.getfixturevalue(persona))
    assert client.post("/api/v1/suspensions/", new(agency_a), format="json").status_code == 403
    assert client.post(f"/api/v1/suspensions/{suspension.pk}/lift/", {"reason": "Why not"}).status_code == 403
    assert client.patch(f"/api/v1/suspensions/{suspension.pk}/", {"reason": "x"}).status_code in (403, 405)
    suspension.refresh_from_db()
    assert (Suspension.objects.count(), suspension.lifted_on) == (1, None)


# --- Lifting


def test_lifting_needs_a_reason(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    client = token_client(coordinator)
    response = client.post(f"/api/v1/suspensions/{suspension.pk}/lift/", {}, format="json")
    assert (response.status_code, response.json()) == (400, {"reason": ["This field is required."]})
    response = client.post(f"/api/v1/suspensions/{suspension.pk}/lift/", {"reason": "   "}, format="json")
    assert (response.status_code, response.json()) == (400, {"reason": ["This field may not be blank."]})


def test_the_coordinator_lifts_a_suspension_and_the_agency_is_approved_again(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    response = token_client(coordinator).post(
        f"/api/v1/suspensions/{suspension.pk}/lift/", {"reason": "Repaid the excess."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["lifted_on"], body["lifted_by"], body["lift_reason"], body["active"]) == (
        today().isoformat(),
        "coordinator",
        "Repaid the excess.",
        False,
    )
    agency_a.refresh_from_db()
    assert agency_a.standing == "approved"


def test_a_lifting_may_be_scheduled_but_not_backdated(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    client = token_client(coordinator)
    response = client.post(
        f"/api/v1/suspensions/{suspension.pk}/lift/", {"reason": "Board", "lifted_on": days(-1).isoformat()}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"lifted_on": [f"A suspension is lifted from today ({today():%d %B %Y}) or later: the past standing stays."]},
    )
    body = client.post(
        f"/api/v1/suspensions/{suspension.pk}/lift/", {"reason": "Board", "lifted_on": days(3).isoformat()}
    ).json()
    assert (body["lifted_on"], body["active"]) == (days(3).isoformat(), True)


# --- Reading


@pytest.fixture
def suspensions(coordinator, agency_a, agency_b):
    return {
        "a": suspend(agency_a, coordinator),
        "b": suspend(agency_b, coordinator, kind="ongoing", ends_on=None, starts_on=days(2)),
    }


def test_a_council_reads_every_agencys_suspensions(council_user, suspensions):
    body = token_client(council_user).get("/api/v1/suspensions/").json()
    assert [s["id"] for s in body["results"]] == [suspensions["b"].pk, suspensions["a"].pk]


def test_an_agency_reads_its_own_and_gets_404_for_anothers(agency_user, suspensions):
    client = token_client(agency_user)
    assert [s["id"] for s in client.get("/api/v1/suspensions/").json()["results"]] == [suspensions["a"].pk]
    assert client.get(f"/api/v1/suspensions/{suspensions['b'].pk}/").status_code == 404


def test_suspensions_filter_by_active_and_agency(analyst, suspensions, agency_b):
    client = token_client(analyst)
    assert [s["id"] for s in client.get("/api/v1/suspensions/?active=true").json()["results"]] == [suspensions["a"].pk]
    assert [s["id"] for s in client.get("/api/v1/suspensions/?active=false").json()["results"]] == [suspensions["b"].pk]
    assert [s["id"] for s in client.get(f"/api/v1/suspensions/?agency={agency_b.pk}").json()["results"]] == [
        suspensions["b"].pk
    ]


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_suspensions_takes_the_same_queries_for_3_or_30(rows, coordinator, django_assert_num_queries):
    for _ in range(rows):
        agency = AgencyFactory()
        placement = PlacementFactory(agency=agency)
        case = BreachFactory(placement=placement, authority=None, rule=Breach.Rule.PAY_RATE_ABOVE_CAP)
        suspend(agency, coordinator, breaches=[case])
    client = token_client(coordinator)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; suspensions with who imposed and lifted them; the
    # ids of the breaches they cite; release.
    with django_assert_num_queries(6):
        body = client.get("/api/v1/suspensions/?page_size=50").json()
    assert (body["count"], len(body["results"][0]["breaches"])) == (rows, 1)
    assert Agency.objects.filter(standing="suspended").count() == rows
    assert mail.outbox == []
