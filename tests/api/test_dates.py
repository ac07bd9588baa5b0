"""Dates that cannot be (issue 17, point 8): a day not yet worked is refused, every API date field takes ISO 8601
(YYYY-MM-DD) and refuses anything else naming the format, and a workforce return's period end is from 2010 on."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import pytest

from placements.models import Timesheet
from tests.api.test_reference_api import token_client
from tests.factories import PlacementFactory
from workforce.models import WorkforceReturn

pytestmark = pytest.mark.django_db

ISO = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


@pytest.fixture
def placement_a(agency_a, solihull):
    return PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2024, 4, 1))


def line(day, hours="7.50"):
    return {"date": day, "hours": hours, "pay_rate": "30.00", "charge_rate": "40.00"}


def test_a_line_for_a_day_not_yet_worked_is_refused(agency_user, placement_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    sunday = tomorrow + timedelta(days=6 - tomorrow.weekday())
    body = {"placement": placement_a.pk, "week_ending": sunday.isoformat(), "lines": [line(tomorrow.isoformat())]}
    response = token_client(agency_user).post("/api/v1/timesheets/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "lines": [{"date": [f"date {tomorrow} has not happened yet: a timesheet records days already worked"]}]
    }
    assert not Timesheet.objects.exists()


def test_a_line_for_today_is_accepted(agency_user, placement_a):
    today = timezone.localdate()
    sunday = today + timedelta(days=6 - today.weekday())
    body = {"placement": placement_a.pk, "week_ending": sunday.isoformat(), "lines": [line(today.isoformat())]}
    assert token_client(agency_user).post("/api/v1/timesheets/", body, format="json").status_code == 201


def test_an_uploaded_row_for_a_day_not_yet_worked_is_refused(agency_user, placement_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    csv = f"placement,date,hours,pay_rate,charge_rate\n{placement_a.pk},{tomorrow},7.5,30,40\n".encode()
    upload = SimpleUploadedFile("week.csv", csv, content_type="text/csv")
    response = token_client(agency_user).post("/api/v1/timesheets/upload/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["rows"] == [
        {
            "row": 2,
            "column": "date",
            "message": f"date {tomorrow} has not happened yet: a timesheet records days already worked",
        }
    ]


def test_a_timesheet_lines_date_in_the_api_is_iso_only(agency_user, placement_a):
    body = {"placement": placement_a.pk, "week_ending": "2024-04-07", "lines": [line("01/04/2024")]}
    response = token_client(agency_user).post("/api/v1/timesheets/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": [{"date": [ISO]}]}


@pytest.mark.parametrize(
    "query,field",
    [
        ("start_date_after=11/12/2026", "start_date"),
        ("active_on=11/12/2026", "active_on"),
    ],
)
def test_a_date_filter_in_the_api_is_iso_only(agency_user, placement_a, query, field):
    response = token_client(agency_user).get(f"/api/v1/placements/?{query}")
    assert response.status_code == 400
    assert response.json() == {field: [ISO]}


def test_an_iso_date_filter_still_filters(agency_user, placement_a):
    response = token_client(agency_user).get("/api/v1/placements/?start_date_after=2024-04-01&active_on=2024-04-02")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [placement_a.pk]


@pytest.mark.parametrize("period_end", ["1900-03-31", "2009-12-31"])
def test_a_workforce_return_before_2010_is_refused(council_user, period_end):
    body = {
        "period_end": period_end,
        "permanent_fte": "180.00",
        "agency_fte": "45.00",
        "vacancies_fte": "20.00",
        "leavers_fte": "27.00",
    }
    response = token_client(council_user).post("/api/v1/workforce-returns/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "period_end": ["The period end is before 2010: the workforce statistics start on 30 September 2010."]
    }
    assert not WorkforceReturn.objects.exists()
