"""What every list and every error of the API does the same way (SPEC §7): pages, filters, ordering, 400s and 404s.
Several of these were found by the fuzzing (tests/api/test_fuzz_schemathesis.py): each is pinned here by name."""

from datetime import date

import pytest

from tests.api.test_reference_api import token_client
from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def placements(agency_a, solihull):
    # Five placements starting on two days: an ordering by start date alone would tie.
    return [
        PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2025, 4, 1 + n % 2)) for n in range(5)
    ]


def test_a_page_size_that_is_not_a_whole_number_of_at_least_one_is_a_400(council_user, placements):
    client = token_client(council_user)
    message = ["A whole number of rows from 1 to 500 (default 50)."]
    for value in ("null", "0", "-3", "2.5"):
        response = client.get(f"/api/v1/placements/?page_size={value}")
        assert (response.status_code, response.json()) == (400, {"page_size": message}), value
    assert client.get("/api/v1/placements/?page_size=2").json()["next"].endswith("page=2&page_size=2")


def test_a_page_past_the_end_is_a_json_404(council_user, placements):
    response = token_client(council_user).get("/api/v1/placements/?page=9")
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


def test_a_parameter_sent_empty_is_a_400_naming_it(council_user, placements):
    response = token_client(council_user).get("/api/v1/placements/?start_date_before=&role=&page_size=10")
    assert response.status_code == 400
    message = ["Give a value, or leave the parameter out."]
    assert response.json() == {"role": message, "start_date_before": message}


def test_an_id_filter_takes_whole_numbers_only(council_user, placements):
    response = token_client(council_user).get("/api/v1/breaches/?placement=0.5")
    assert (response.status_code, response.json()) == (400, {"placement": ["Enter a whole number."]})


def test_a_boolean_filter_takes_true_or_false_only(council_user):
    client = token_client(council_user)
    assert client.get("/api/v1/roles/?capped=null").json() == {"capped": ["Enter true or false."]}
    assert [r["code"] for r in client.get("/api/v1/roles/?capped=false").json()["results"]] == ["SM"]


def test_a_date_range_filter_is_inclusive_and_refuses_a_non_date(council_user, placements):
    client = token_client(council_user)
    body = client.get("/api/v1/placements/?start_date_after=2025-04-02&start_date_before=2025-04-02").json()
    assert body["count"] == 2
    assert client.get("/api/v1/placements/?start_date_after=April").json() == {
        "start_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    }


def test_ordering_by_a_shared_value_breaks_ties_by_id_so_pages_never_repeat_a_row(council_user, placements):
    client = token_client(council_user)
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/placements/?ordering=start_date&page_size=2&page={page}").json()
        seen += [row["id"] for row in body["results"]]
    by_start_then_id = sorted(placements, key=lambda p: (p.start_date, p.pk))
    assert seen == [p.pk for p in by_start_then_id]


def test_a_path_no_route_matches_is_a_json_404_under_the_api_only(council_user, client):
    response = token_client(council_user).get("/api/v1/placements/0.5/")
    assert (response.status_code, response["Content-Type"], response.json()) == (
        404,
        "application/json",
        {"detail": "Not found."},
    )
    assert client.get("/no-such-page/").status_code == 404
    assert not client.get("/no-such-page/")["Content-Type"].startswith("application/json")


def test_every_viewset_of_the_router_inherits_the_one_scoping_base():
    """Scoping is not opt-in: a viewset that skipped `BaseViewSet` would return other tenants' rows."""
    from futuresocial.api.urls import router
    from futuresocial.api.views import BaseViewSet

    skipped = [prefix for prefix, viewset, _ in router.registry if not issubclass(viewset, BaseViewSet)]

    assert router.registry and skipped == []
