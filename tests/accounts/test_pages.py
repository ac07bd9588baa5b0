import pytest

from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_the_home_page_asks_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_a_user_signs_in_sees_their_scope_and_signs_out(client, agency_user, agency_a, agency_b, solihull):
    PlacementFactory(agency=agency_a, authority=solihull)
    PlacementFactory(agency=agency_b, authority=solihull)
    response = client.post("/login/", {"username": "alpha", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.context["summary"]["placements_total"] == 1  # agency B's placement is not counted
    assert "Alpha Locums Ltd" in response.content.decode()
    response = client.post("/logout/", follow=True)
    assert response.request["PATH_INFO"] == "/login/"
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, agency_user):
    response = client.post("/login/", {"username": "alpha", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_a_council_sees_its_authoritys_placements_only(client, council_user, agency_a, solihull, coventry):
    PlacementFactory(agency=agency_a, authority=solihull)
    PlacementFactory(agency=agency_a, authority=coventry)
    PlacementFactory(agency=agency_a, authority=coventry)
    client.force_login(council_user)
    assert client.get("/").context["summary"]["placements_total"] == 1


def test_the_coordinator_sees_the_region(client, coordinator, agency_a, solihull, coventry):
    PlacementFactory(agency=agency_a, authority=solihull)
    PlacementFactory(agency=agency_a, authority=coventry)
    client.force_login(coordinator)
    assert client.get("/").context["summary"]["placements_total"] == 2


def test_the_api_docs_are_served_without_internet(client, coordinator):
    client.force_login(coordinator)
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert client.get("/api/v1/schema/").status_code == 200
