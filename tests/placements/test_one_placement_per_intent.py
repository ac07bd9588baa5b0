"""One record per intent (issue 17, point 2): the same placement (agency, worker, authority, start date) is stored
once, however often and however fast it is sent; a repeat is answered with the existing one (the page) or a 400
naming it (the API), never a 500 and never a second row. The database enforces it."""

import threading
from datetime import date

from django.db import IntegrityError, connection, transaction

import pytest
from rest_framework.test import APIClient

from placements.models import Placement
from tests.api.test_placements_api import NEW_PLACEMENT
from tests.factories import PlacementFactory
from tests.placements.test_portal_pages import registration


def already(placement) -> str:
    return (
        f"Placement {placement.pk} already registers this worker for this agency at {placement.authority} from "
        f"{placement.start_date:%d %B %Y}: change that one (its end date) rather than registering it again."
    )


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_for_the_same_placement(agency_a, solihull):
    first = PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2025, 5, 5))
    with pytest.raises(IntegrityError), transaction.atomic():
        PlacementFactory(agency=agency_a, authority=solihull, worker=first.worker, start_date=date(2025, 5, 5))


@pytest.mark.django_db
def test_two_sequential_identical_api_posts_store_one_placement_and_name_it(agency_user):
    from tests.api.test_reference_api import token_client

    client = token_client(agency_user)
    assert client.post("/api/v1/placements/", NEW_PLACEMENT, format="json").status_code == 201
    response = client.post("/api/v1/placements/", NEW_PLACEMENT, format="json")
    placement = Placement.objects.get()
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [already(placement)]}


@pytest.mark.django_db(transaction=True)
def test_four_concurrent_identical_api_posts_store_one_placement(agency_user):
    statuses, barrier = [], threading.Barrier(4)

    def post():
        client = APIClient()
        client.force_authenticate(agency_user)
        barrier.wait()
        try:
            statuses.append(client.post("/api/v1/placements/", NEW_PLACEMENT, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 400, 400, 400]
    assert Placement.objects.count() == 1


@pytest.mark.django_db
def test_a_double_click_on_the_page_is_one_placement_and_shows_it(client, agency_user, solihull):
    client.force_login(agency_user)
    first = client.post("/placements/new/", registration(authority=str(solihull.pk)))
    second = client.post("/placements/new/", registration(authority=str(solihull.pk)), follow=True)
    placement = Placement.objects.get()
    assert first["Location"] == f"/placements/{placement.pk}/"
    assert second.redirect_chain == [(f"/placements/{placement.pk}/", 302)]
    assert "This placement was already registered: here it is." in second.content.decode()


@pytest.mark.django_db
def test_the_same_placement_with_other_rates_is_an_error_naming_it_on_the_page(client, agency_user, solihull):
    client.force_login(agency_user)
    client.post("/placements/new/", registration(authority=str(solihull.pk)))
    response = client.post("/placements/new/", registration(authority=str(solihull.pk), pay_rate="25.00"))
    placement = Placement.objects.get()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [already(placement)]
