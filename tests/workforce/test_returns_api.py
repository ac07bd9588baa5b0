"""workforce-returns/ (SPEC §7): councils submit their own, the coordinator any; derived rates as decimal strings."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from pghistory.models import Events
from rest_framework.test import APIClient

from tests.api.test_reference_api import token_client
from tests.factories import WorkforceReturnFactory
from workforce.models import WorkforceReturn

pytestmark = pytest.mark.django_db

URL = "/api/v1/workforce-returns/"
BODY = {
    "period_end": "2025-03-31",
    "permanent_fte": "180.00",
    "agency_fte": "45.00",
    "vacancies_fte": "20.00",
    "leavers_fte": "27.00",
    "absence_rate": "3.10",
}


def test_a_council_submits_its_own_return_and_reads_the_derived_rates(council_user):
    response = token_client(council_user).post(URL, BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["authority"] == "E08000029"
    assert (body["agency_rate"], body["turnover_rate"], body["vacancy_rate"]) == ("20.0", "15.0", "10.0")
    assert body["permanent_fte"] == "180.00" and body["absence_rate"] == "3.10"
    assert WorkforceReturn.objects.get().submitted_by == council_user


def test_a_council_naming_another_authority_gets_a_field_error_and_nothing_is_stored(council_user):
    response = token_client(council_user).post(URL, {**BODY, "authority": "E08000026"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"authority": ["You can only submit returns for your own authority."]}
    assert not WorkforceReturn.objects.exists()


def test_the_coordinator_must_name_the_authority(coordinator):
    client = token_client(coordinator)
    assert client.post(URL, BODY, format="json").json() == {"authority": ["This field is required."]}
    response = client.post(URL, {**BODY, "authority": "E08000026"}, format="json")
    assert response.status_code == 201
    assert response.json()["authority"] == "E08000026"


def test_an_unknown_authority_and_bad_figures_are_field_errors(coordinator):
    response = token_client(coordinator).post(
        URL, {**BODY, "authority": "E99999999", "agency_fte": "-1", "absence_rate": "120"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "authority": ["unknown authority"],
        "agency_fte": ["An FTE cannot be negative."],
        "absence_rate": ["A rate is between 0 and 100."],
    }


def test_posting_a_period_already_returned_resubmits_it_and_history_keeps_the_old_figures(council_user):
    client = token_client(council_user)
    first = client.post(URL, BODY, format="json").json()
    response = client.post(URL, {**BODY, "agency_fte": "20.00"}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert response.json()["agency_rate"] == "10.0"  # 20 ÷ (20 + 180)
    events = Events.objects.tracks(WorkforceReturn.objects.get()).order_by("pgh_id")
    assert [Decimal(str(event.pgh_data["agency_fte"])) for event in events] == [Decimal("45"), Decimal("20")]


def test_patch_resubmits_the_figures_but_never_moves_the_return(council_user):
    workforce_return = WorkforceReturnFactory()
    client = token_client(council_user)
    response = client.patch(f"{URL}{workforce_return.pk}/", {"leavers_fte": "36.00"}, format="json")
    assert response.status_code == 200
    assert response.json()["turnover_rate"] == "20.0"
    moved = client.patch(f"{URL}{workforce_return.pk}/", {"period_end": "2023-09-30"}, format="json")
    assert moved.status_code == 400
    assert moved.json() == {"period_end": ["A submitted return keeps its authority and period end."]}
    workforce_return.refresh_from_db()
    assert workforce_return.period_end == date(2024, 9, 30) and workforce_return.leavers_fte == Decimal("36.00")


def test_a_council_cannot_read_or_change_another_authoritys_return(council_user, coventry):
    other = WorkforceReturnFactory(authority=coventry)
    client = token_client(council_user)
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    assert client.patch(f"{URL}{other.pk}/", {"agency_fte": "1"}, format="json").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_returns_are_never_deleted(coordinator):
    workforce_return = WorkforceReturnFactory()
    assert token_client(coordinator).delete(f"{URL}{workforce_return.pk}/").status_code == 405
    assert WorkforceReturn.objects.exists()


@pytest.mark.parametrize(
    ("persona", "sees", "post"),
    [
        ("coordinator", 2, 201),
        ("analyst", 2, 403),
        ("council_user", 1, 201),
        ("other_council_user", 1, 201),
        ("agency_user", 0, 403),
    ],
)
def test_who_reads_and_who_writes(request, coventry, persona, sees, post):
    WorkforceReturnFactory()
    WorkforceReturnFactory(authority=coventry)
    user = request.getfixturevalue(persona)
    client = token_client(user)
    assert client.get(URL).json()["count"] == sees
    authority = {"authority": user.authority.code} if user.is_council else {"authority": "E08000025"}
    assert client.post(URL, {**BODY, **authority}, format="json").status_code == post


def test_unauthenticated_callers_get_401():
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, BODY, format="json").status_code == 401


def test_the_list_filters_by_authority_and_period_end_range_and_pages_in_order(analyst, coventry):
    WorkforceReturnFactory(period_end=date(2024, 9, 30))
    WorkforceReturnFactory(period_end=date(2023, 9, 30))
    WorkforceReturnFactory(authority=coventry, period_end=date(2024, 9, 30))
    client = token_client(analyst)
    listed = client.get(URL).json()["results"]
    assert [(r["authority"], r["period_end"]) for r in listed] == [
        ("E08000026", "2024-09-30"),
        ("E08000029", "2024-09-30"),
        ("E08000029", "2023-09-30"),
    ]
    assert client.get(URL, {"authority": "E08000026"}).json()["count"] == 1
    after = client.get(URL, {"period_end_after": "2024-01-01", "period_end_before": "2024-12-31"}).json()
    assert after["count"] == 2
    assert client.get(URL, {"page_size": 1}).json()["next"] is not None


def test_the_list_takes_the_same_queries_for_one_return_or_thirty(analyst, django_assert_num_queries):
    client = token_client(analyst)
    WorkforceReturnFactory()
    # savepoint (ATOMIC_REQUESTS), token and user, count, the page of returns joined to their authority, release
    with django_assert_num_queries(5):
        assert client.get(URL).status_code == 200
    for year in range(1990, 2019):
        WorkforceReturnFactory(period_end=date(year, 3, 31))
    with django_assert_num_queries(5):
        assert len(client.get(URL).json()["results"]) == 30


def test_an_upload_through_the_api_stores_all_rows_or_none(council_user):
    client = token_client(council_user)
    good = (
        "authority,period_end,permanent_fte,agency_fte,vacancies_fte,leavers_fte\nE08000029,2025-03-31,180,45,20,27\n"
    )
    response = client.post(f"{URL}upload/", {"file": SimpleUploadedFile("r.csv", good.encode())}, format="multipart")
    assert response.status_code == 201
    assert response.json() == {"rows": 1, "created": 1, "resubmitted": 0}
    bad = good + "E08000026,2025-03-31,180,45,20,27\n"
    response = client.post(f"{URL}upload/", {"file": SimpleUploadedFile("r.csv", bad.encode())}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"row": 3, "column": "authority", "message": "You can only submit returns for your own authority."}]
    }
    assert WorkforceReturn.objects.count() == 1


def test_a_turnover_above_a_hundred_percent_is_reported_not_a_server_error(council_user):
    # Leavers in the preceding year can outnumber the staff in post at the period end (schemathesis found a 500).
    body = {**BODY, "permanent_fte": "79.50", "leavers_fte": "4527507.00"}
    response = token_client(council_user).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["turnover_rate"] == "5694977.4"


def test_an_upload_without_a_file_says_so_in_the_documented_shape(council_user):
    response = token_client(council_user).post(f"{URL}upload/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"row": None, "column": None, "message": "Send the file as the multipart field `file`."}]
    }
    assert WorkforceReturn.objects.count() == 0
