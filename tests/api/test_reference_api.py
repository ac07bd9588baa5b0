"""The first resources of the API (SPEC §7): token auth, pagination, scoping."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from mou.models import MouVersion
from tests.factories import CapFactory, MouVersionFactory, role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def token_client(user):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_a_wrong_password_gets_no_token(agency_user):
    response = APIClient().post("/api/v1/auth/token/", {"username": "alpha", "password": "nope"}, format="json")
    assert response.status_code == 400


def test_without_a_token_the_api_answers_401():
    assert APIClient().get("/api/v1/authorities/").status_code == 401


def test_authorities_are_listed_paginated_and_looked_up_by_code(council_user):
    client = token_client(council_user)
    body = client.get("/api/v1/authorities/?page_size=5").json()
    assert body["count"] == 14
    assert len(body["results"]) == 5
    assert body["next"].endswith("page=2&page_size=5")
    assert body["previous"] is None
    assert client.get("/api/v1/authorities/E08000029/").json() == {
        "code": "E08000029",
        "la_code": "334",
        "name": "Solihull",
        "kind": "council",
    }


def test_page_size_is_capped_at_500(council_user):
    assert token_client(council_user).get("/api/v1/roles/?page_size=10000").status_code == 200


def test_roles_say_which_are_capped(agency_user):
    roles = {r["code"]: r["capped"] for r in token_client(agency_user).get("/api/v1/roles/").json()["results"]}
    assert roles == {"SW": True, "SSW": True, "AP": True, "TM": True, "IRO": True, "SM": False}


def test_an_agency_reads_itself_and_gets_404_for_another_agency(agency_user, agency_a, agency_b):
    client = token_client(agency_user)
    assert [a["name"] for a in client.get("/api/v1/agencies/").json()["results"]] == ["Alpha Locums Ltd"]
    assert client.get(f"/api/v1/agencies/{agency_b.pk}/").status_code == 404


def test_a_council_sees_every_agencys_standing(council_user, agency_a, agency_b):
    body = token_client(council_user).get("/api/v1/agencies/").json()
    assert {(a["name"], a["standing"]) for a in body["results"]} == {
        ("Alpha Locums Ltd", "approved"),
        ("Beta Social Care Staffing Ltd", "approved"),
    }


def test_mou_versions_come_with_caps_as_decimal_strings_and_drafts_only_for_the_region(
    council_user, coordinator, django_assert_num_queries
):
    v2015 = MouVersionFactory(name="January 2015", effective_from=date(2015, 1, 1), status=MouVersion.Status.IN_FORCE)
    CapFactory(version=v2015, role=role("SW"), max_pay_rate="22.50", max_charge_rate=None)
    CapFactory(version=v2015, role=role("TM"), max_pay_rate="35.75", max_charge_rate=None)
    MouVersionFactory(name="2026 draft", effective_from=date(2026, 4, 1), status=MouVersion.Status.DRAFT)
    council = token_client(council_user).get("/api/v1/mou-versions/").json()
    assert [v["name"] for v in council["results"]] == ["January 2015"]
    assert council["results"][0]["caps"] == [
        {"role": "SW", "engagement_type": None, "max_pay_rate": "22.50", "max_charge_rate": None},
        {"role": "TM", "engagement_type": None, "max_pay_rate": "35.75", "max_charge_rate": None},
    ]
    client = token_client(coordinator)
    # ATOMIC_REQUESTS' savepoint; token with its user; count; versions; their caps joined to their roles; release.
    with django_assert_num_queries(6):
        regional = client.get("/api/v1/mou-versions/").json()
    assert [v["name"] for v in regional["results"]] == ["2026 draft", "January 2015"]
