"""`timesheets/` and `timesheets/upload/` (SPEC §7): an agency submits its own placements' weeks."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from rest_framework.fields import DateTimeField

from placements.models import Timesheet, TimesheetLine
from tests.api.test_reference_api import token_client
from tests.factories import PlacementFactory, TimesheetFactory, TimesheetLineFactory

pytestmark = pytest.mark.django_db

WEEK = {
    "week_ending": "2024-04-07",
    "lines": [
        {"date": "2024-04-01", "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"},
        {"date": "2024-04-02", "hours": "7.5", "pay_rate": "30", "charge_rate": "40.00"},
    ],
}


@pytest.fixture
def placement_a(agency_a, solihull):
    return PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2024, 4, 1))


@pytest.fixture
def placement_b(agency_b, coventry):
    return PlacementFactory(agency=agency_b, authority=coventry, start_date=date(2024, 4, 1))


def week_of(placement, week_ending=date(2024, 4, 7), hours="7.50"):
    """A submitted timesheet with a line on Monday and Tuesday of the week."""
    timesheet = TimesheetFactory(placement=placement, week_ending=week_ending)
    for offset in (6, 5):
        TimesheetLineFactory(timesheet=timesheet, date=week_ending - timedelta(days=offset), hours=Decimal(hours))
    return timesheet


def test_an_agency_submits_a_week_of_its_placement(agency_user, placement_a):
    response = token_client(agency_user).post(
        "/api/v1/timesheets/", {"placement": placement_a.pk, **WEEK}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    timesheet = Timesheet.objects.get()
    assert body.pop("submitted_at") == DateTimeField().to_representation(timesheet.submitted_at)
    assert body == {
        "id": timesheet.pk,
        "placement": placement_a.pk,
        "week_ending": "2024-04-07",
        "revision": 1,
        "lines": [
            {"date": "2024-04-01", "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"},
            {"date": "2024-04-02", "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"},
        ],
        "replaced_lines": [],  # a first submission replaces nothing
    }
    assert timesheet.submitted_by == agency_user


def test_posting_the_same_week_again_is_a_resubmission_with_revision_2(agency_user, placement_a):
    client = token_client(agency_user)
    client.post("/api/v1/timesheets/", {"placement": placement_a.pk, **WEEK}, format="json")
    again = {
        "placement": placement_a.pk,
        "week_ending": "2024-04-07",
        "lines": [{"date": "2024-04-03", "hours": "8.00", "pay_rate": "31.00", "charge_rate": "41.00"}],
    }
    response = client.post("/api/v1/timesheets/", again, format="json")
    assert response.status_code == 200
    assert response.json()["revision"] == 2
    assert response.json()["lines"] == [
        {"date": "2024-04-03", "hours": "8.00", "pay_rate": "31.00", "charge_rate": "41.00"}
    ]
    # The first revision's two lines stay as history.
    assert Timesheet.objects.count() == 1
    assert list(TimesheetLine.objects.order_by("id").values_list("revision", flat=True)) == [1, 1, 2]
    detail = client.get(f"/api/v1/timesheets/{response.json()['id']}/").json()
    assert [line["date"] for line in detail["lines"]] == ["2024-04-03"]
    assert "replaced_lines" not in detail  # only the answer to a submission says what it replaced


def test_a_resubmission_says_which_lines_it_replaced_and_which_days_it_dropped(agency_user, placement_a):
    client = token_client(agency_user)
    client.post("/api/v1/timesheets/", {"placement": placement_a.pk, **WEEK}, format="json")
    first = list(TimesheetLine.objects.order_by("date").values_list("id", flat=True))
    again = {
        "placement": placement_a.pk,
        "week_ending": "2024-04-07",
        "lines": [{"date": "2024-04-02", "hours": "8.00", "pay_rate": "30.00", "charge_rate": "40.00"}],
    }

    response = client.post("/api/v1/timesheets/", again, format="json")

    assert response.status_code == 200
    line = {"placement": placement_a.pk, "week_ending": "2024-04-07", "pay_rate": "30.00", "charge_rate": "40.00"}
    assert response.json()["replaced_lines"] == [
        {"id": first[0], **line, "date": "2024-04-01", "hours": "7.50", "dropped": True},  # no line on Monday now
        {"id": first[1], **line, "date": "2024-04-02", "hours": "7.50", "dropped": False},
    ]


def test_a_first_submission_replaces_nothing(agency_user, placement_a):
    response = token_client(agency_user).post(
        "/api/v1/timesheets/", {"placement": placement_a.pk, **WEEK}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["replaced_lines"] == []


def test_bad_lines_come_back_one_entry_per_line_and_nothing_is_stored(agency_user, placement_a):
    week = {
        "placement": placement_a.pk,
        "week_ending": "2024-04-07",
        "lines": [
            {"date": "2024-04-01", "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"},
            {"date": "2024-04-02", "hours": "25", "pay_rate": "30.00", "charge_rate": "40.00"},
            {"date": "2024-04-09", "hours": "7.50", "pay_rate": "thirty", "charge_rate": "40.00"},
        ],
    }
    response = token_client(agency_user).post("/api/v1/timesheets/", week, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "lines": [
            {},
            {"hours": ["hours must be between 0 and 24 (got 25)"]},
            {
                "date": ["date 2024-04-09 is not in the week ending 2024-04-07 (2024-04-01 to 2024-04-07)"],
                "pay_rate": ['pay_rate must be a number like 30.50 (got "thirty")'],
            },
        ]
    }
    assert not Timesheet.objects.exists()
    assert not TimesheetLine.objects.exists()


def test_a_week_ending_on_a_saturday_is_refused(agency_user, placement_a):
    week = {**WEEK, "placement": placement_a.pk, "week_ending": "2024-04-06"}
    response = token_client(agency_user).post("/api/v1/timesheets/", week, format="json")
    assert response.status_code == 400
    assert response.json()["week_ending"] == ["week_ending must be a Sunday (got Saturday 2024-04-06)"]
    assert not Timesheet.objects.exists()


def test_an_agency_cannot_submit_for_another_agencys_placement(agency_user, placement_b):
    response = token_client(agency_user).post(
        "/api/v1/timesheets/", {"placement": placement_b.pk, **WEEK}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"placement": ["not a placement of your agency"]}
    assert not Timesheet.objects.exists()


@pytest.mark.parametrize("persona", ["coordinator", "analyst", "council_user"])
def test_only_agencies_submit_timesheets(persona, request, placement_a):
    client = token_client(request.getfixturevalue(persona))
    assert client.post("/api/v1/timesheets/", {"placement": placement_a.pk, **WEEK}, format="json").status_code == 403
    assert not Timesheet.objects.exists()


def test_agency_cannot_read_another_agencys_timesheet(agency_user, placement_a, placement_b):
    own, other = week_of(placement_a), week_of(placement_b)
    client = token_client(agency_user)
    assert [t["id"] for t in client.get("/api/v1/timesheets/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/timesheets/{other.pk}/").status_code == 404


def test_a_council_reads_the_timesheets_at_its_authority_only(other_council_user, placement_a, placement_b):
    own, other = week_of(placement_b), week_of(placement_a)
    client = token_client(other_council_user)
    assert [t["id"] for t in client.get("/api/v1/timesheets/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/timesheets/{other.pk}/").status_code == 404


def test_timesheets_filter_by_placement_and_week(coordinator, placement_a, placement_b):
    first = week_of(placement_a)
    second = week_of(placement_a, week_ending=date(2024, 4, 14))
    week_of(placement_b)
    client = token_client(coordinator)
    body = client.get(f"/api/v1/timesheets/?placement={placement_a.pk}&ordering=week_ending").json()
    assert [t["id"] for t in body["results"]] == [first.pk, second.pk]
    body = client.get("/api/v1/timesheets/?week_ending_after=2024-04-08&authority=E08000029").json()
    assert [t["id"] for t in body["results"]] == [second.pk]


@pytest.mark.parametrize("weeks", [3, 30])
def test_listing_timesheets_takes_the_same_queries_for_3_or_30(
    weeks, agency_user, placement_a, django_assert_num_queries
):
    for week in range(weeks):
        week_of(placement_a, week_ending=date(2024, 4, 7) + timedelta(weeks=week))
    client = token_client(agency_user)
    # Savepoint (ATOMIC_REQUESTS); token with its user; count; timesheets; their current lines; release.
    with django_assert_num_queries(6):
        body = client.get("/api/v1/timesheets/").json()
    assert body["count"] == weeks
    assert sum(len(t["lines"]) for t in body["results"]) == 2 * weeks


# --- upload


def csv_file(text, name="lines.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_an_agency_uploads_a_csv_of_lines(agency_user, placement_a):
    text = (
        "placement,date,hours,pay_rate,charge_rate\n"
        f"{placement_a.pk},2024-04-01,7.50,30.00,40.00\n"
        f"{placement_a.pk},2024-04-02,7.50,30.00,40.00\n"
        f"{placement_a.pk},2024-04-08,6.00,30.00,40.00\n"
    )
    response = token_client(agency_user).post("/api/v1/timesheets/upload/", {"file": csv_file(text)})
    assert response.status_code == 201
    assert response.json() == {
        "rows": 3,
        "weeks": 2,
        "timesheets_created": 2,
        "timesheets_revised": 0,
        "timesheets_unchanged": 0,
        "lines_stored": 3,
        "ignored_columns": [],
        "replaced_lines": [],
        "replaced_line_count": 0,
        "dropped_line_count": 0,
    }
    assert TimesheetLine.objects.count() == 3

    again = token_client(agency_user).post("/api/v1/timesheets/upload/", {"file": csv_file(text)})
    assert again.status_code == 201
    assert again.json() == {
        "rows": 3,
        "weeks": 2,
        "timesheets_created": 0,
        "timesheets_revised": 0,
        "timesheets_unchanged": 2,  # the same weeks with the same lines: nothing stored
        "lines_stored": 0,
        "ignored_columns": [],
        "replaced_lines": [],
        "replaced_line_count": 0,
        "dropped_line_count": 0,
    }
    assert TimesheetLine.objects.count() == 3


def test_an_upload_with_a_bad_row_stores_nothing_and_names_the_row(agency_user, placement_a, placement_b):
    text = (
        "placement,date,hours,pay_rate,charge_rate\n"
        f"{placement_a.pk},2024-04-01,7.50,30.00,40.00\n"
        f"{placement_a.pk},2024-04-02,25,30.00,40.00\n"
        f"{placement_b.pk},2024-04-02,7.50,30.00,40.00\n"
    )
    response = token_client(agency_user).post("/api/v1/timesheets/upload/", {"file": csv_file(text)})
    assert response.status_code == 400
    assert response.json() == {
        "rows": [
            {"row": 3, "column": "hours", "message": "hours must be between 0 and 24 (got 25)"},
            {
                "row": 4,
                "column": "placement",
                "message": f"placement {placement_b.pk} is not one of your agency's placements",
            },
        ],
        "error_count": 2,
    }
    assert not Timesheet.objects.exists()


def test_a_file_that_is_not_csv_or_xlsx_is_refused_as_a_whole(agency_user):
    old_excel = SimpleUploadedFile("lines.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    response = token_client(agency_user).post("/api/v1/timesheets/upload/", {"file": old_excel})
    assert response.status_code == 400
    assert response.json() == {
        "file": ["This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) or as CSV UTF-8."]
    }


def test_an_upload_without_a_file_is_a_field_error(agency_user):
    response = token_client(agency_user).post("/api/v1/timesheets/upload/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}


@pytest.mark.parametrize("persona", ["coordinator", "council_user"])
def test_only_agencies_upload(persona, request, placement_a):
    text = f"placement,date,hours,pay_rate,charge_rate\n{placement_a.pk},2024-04-01,7.50,30.00,40.00\n"
    client = token_client(request.getfixturevalue(persona))
    assert client.post("/api/v1/timesheets/upload/", {"file": csv_file(text)}).status_code == 403
    assert not Timesheet.objects.exists()


def test_four_single_day_uploads_of_one_week_each_report_the_day_they_dropped(agency_user, placement_a):
    """The API stores as it always did (no confirmation asked) and says what each upload dropped."""
    client = token_client(agency_user)
    answers = []
    for day in ("2024-04-01", "2024-04-02", "2024-04-03", "2024-04-04"):
        text = f"placement,date,hours,pay_rate,charge_rate\n{placement_a.pk},{day},7.50,30.00,40.00\n"
        response = client.post("/api/v1/timesheets/upload/", {"file": csv_file(text)})
        assert response.status_code == 201
        answers.append(response.json())

    assert [answer["replaced_lines"] for answer in answers[:2]] == [
        [],
        [
            {
                "id": TimesheetLine.objects.get(date=date(2024, 4, 1)).pk,
                "placement": placement_a.pk,
                "week_ending": "2024-04-07",
                "date": "2024-04-01",
                "hours": "7.50",
                "pay_rate": "30.00",
                "charge_rate": "40.00",
                "dropped": True,
            }
        ],
    ]
    assert [[line["date"] for line in answer["replaced_lines"]] for answer in answers[2:]] == [
        ["2024-04-02"],
        ["2024-04-03"],
    ]
    assert [(answer["replaced_line_count"], answer["dropped_line_count"]) for answer in answers] == [
        (0, 0),
        (1, 1),
        (1, 1),
        (1, 1),
    ]
    assert list(TimesheetLine.objects.current().values_list("date", flat=True)) == [date(2024, 4, 4)]
