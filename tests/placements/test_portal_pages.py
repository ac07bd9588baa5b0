"""The agency portal's pages: placements, registering one, a week's timesheet, the upload, the cap check, breaches."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from agencies.models import Agency, Suspension
from mou.models import MouVersion
from placements.models import Placement, Timesheet, TimesheetLine, Worker
from tests.factories import (
    BreachFactory,
    CapFactory,
    CorrectiveActionFactory,
    MouVersionFactory,
    PlacementFactory,
    SuspensionFactory,
    UserFactory,
    WorkerFactory,
    role,
)

pytestmark = pytest.mark.django_db

# A Monday-to-Sunday week inside PlacementFactory's default placement (from 1 April 2024, open-ended).
WEEK_ENDING = date(2024, 4, 14)
MONDAY = date(2024, 4, 8)


@pytest.fixture
def caps():
    """The January 2015 protocol: a social worker's pay capped at £22.50/h and charge at £30.00/h."""
    version = MouVersionFactory(
        name="Agency Protocol January 2015", effective_from=date(2015, 1, 1), status=MouVersion.Status.IN_FORCE
    )
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("22.50"), max_charge_rate=Decimal("30.00"))
    return version


def suspend(agency, by, *, reason="Charged above the cap on three placements after a warning."):
    SuspensionFactory(
        agency=agency,
        kind=Suspension.Kind.TEMPORARY,
        starts_on=timezone.localdate() - timedelta(days=10),
        ends_on=timezone.localdate() + timedelta(days=80),
        reason=reason,
        imposed_by=by,
    )
    agency.standing = Agency.Standing.SUSPENDED
    agency.save(update_fields=["standing"])


def text(response):
    """A page's text as a reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def registration(**overrides):
    return {
        "authority": "1",  # replaced below by the authority's id
        "role": "SW",
        "engagement_type": "paye",
        "worker_swe_number": "sw 700123",
        "worker_qualified_on": "2019-07-01",
        "start_date": "2025-02-03",
        "end_date": "",
        "pay_rate": "22.00",
        "on_costs": "4.10",
        "charge_rate": "29.50",
        **overrides,
    }


def week_post(week_ending=WEEK_ENDING, days=None):
    """The timesheet form's POST: `days` maps a day's index (0 = Monday) to (hours, pay, charge)."""
    data = {
        "week_ending": week_ending.isoformat(),
        "form-TOTAL_FORMS": "7",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "7",
        "form-MAX_NUM_FORMS": "7",
    }
    for i in range(7):
        hours, pay, charge = (days or {}).get(i, ("", "30.00", "40.00"))
        data |= {f"form-{i}-hours": hours, f"form-{i}-pay_rate": pay, f"form-{i}-charge_rate": charge}
    return data


# --- Placements list


def test_an_agency_sees_its_own_placements_only(client, agency_user, agency_a, agency_b):
    mine = PlacementFactory(agency=agency_a, worker=WorkerFactory(swe_number="SW111111"))
    PlacementFactory(agency=agency_b, worker=WorkerFactory(swe_number="SW222222"))
    client.force_login(agency_user)
    response = client.get("/placements/")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [mine]
    page = response.content.decode()
    assert "SW111111" in page and "SW222222" not in page
    assert 'name="agency"' not in page  # an agency is not offered other agencies to filter by


def test_an_agency_gets_404_for_another_agencys_placement_page_and_timesheet_form(client, agency_user, agency_b):
    theirs = PlacementFactory(agency=agency_b)
    client.force_login(agency_user)
    assert client.get(f"/placements/{theirs.pk}/").status_code == 404
    assert client.get(f"/placements/{theirs.pk}/timesheets/new/").status_code == 404
    response = client.post(f"/placements/{theirs.pk}/timesheets/new/", week_post(days={0: ("7.5", "30", "40")}))
    assert response.status_code == 404
    assert Timesheet.objects.count() == 0


def test_a_council_sees_only_its_authoritys_placements(client, council_user, agency_a, solihull, coventry):
    at_solihull = PlacementFactory(agency=agency_a, authority=solihull)
    PlacementFactory(agency=agency_a, authority=coventry)
    PlacementFactory(agency=agency_a, authority=coventry)
    client.force_login(council_user)
    response = client.get("/placements/")
    assert list(response.context["page"].object_list) == [at_solihull]
    assert 'name="authority"' not in response.content.decode()
    coventry_placement = Placement.objects.filter(authority=coventry).first()
    assert client.get(f"/placements/{coventry_placement.pk}/").status_code == 404
    assert client.get(f"/placements/{at_solihull.pk}/").status_code == 200


def test_the_coordinator_filters_placements_by_role_authority_agency_state_and_swe_number(
    client, coordinator, agency_a, agency_b, solihull, coventry
):
    today = timezone.localdate()
    match = PlacementFactory(agency=agency_a, authority=solihull, worker=WorkerFactory(swe_number="SW424242"))
    PlacementFactory(agency=agency_b, authority=solihull)
    PlacementFactory(agency=agency_a, authority=coventry)
    PlacementFactory(agency=agency_a, authority=solihull, role=role("TM"))
    PlacementFactory(agency=agency_a, authority=solihull, end_date=today - timedelta(days=1))
    client.force_login(coordinator)
    query = f"?role=SW&authority=E08000029&agency={agency_a.pk}&state=active"
    assert list(client.get("/placements/" + query).context["page"].object_list) == [match]
    assert list(client.get("/placements/?q=4242").context["page"].object_list) == [match]
    assert client.get("/placements/?state=ended").context["page"].paginator.count == 1
    assert client.get("/placements/").context["page"].paginator.count == 5


def test_a_placement_starting_next_month_is_not_active_yet_on_the_page_as_in_the_api(client, coordinator, agency_a):
    today = timezone.localdate()
    running = PlacementFactory(agency=agency_a, start_date=today - timedelta(days=30))
    starting = PlacementFactory(agency=agency_a, start_date=today + timedelta(days=31))
    ended = PlacementFactory(agency=agency_a, start_date=today - timedelta(days=60), end_date=today - timedelta(days=1))
    client.force_login(coordinator)
    assert list(client.get("/placements/?state=active").context["page"].object_list) == [running]
    assert list(client.get("/placements/?state=ended").context["page"].object_list) == [ended]
    assert client.get("/placements/").context["page"].paginator.count == 3
    api = client.get(f"/api/v1/placements/?active_on={today.isoformat()}").json()
    assert [row["id"] for row in api["results"]] == [running.pk]
    assert starting.pk not in [row["id"] for row in api["results"]]


def test_the_placements_list_is_sorted_newest_first_and_paginated_by_50(client, coordinator, agency_a):
    for offset in range(51):
        PlacementFactory(agency=agency_a, start_date=date(2024, 1, 1) + timedelta(days=offset))
    client.force_login(coordinator)
    first = client.get("/placements/").context["page"]
    assert len(first.object_list) == 50
    assert first.object_list[0].start_date == date(2024, 2, 20)
    second = client.get("/placements/?page=2").context["page"]
    assert [p.start_date for p in second.object_list] == [date(2024, 1, 1)]


def test_an_agency_without_placements_is_told_to_register_one(client, agency_user):
    client.force_login(agency_user)
    page = client.get("/placements/").content.decode()
    assert "No placements yet — " in page
    assert 'href="/placements/new/">register one</a>' in page


def test_placements_of_a_suspended_agency_are_flagged(client, coordinator, council_user, agency_a, solihull):
    PlacementFactory(agency=agency_a, authority=solihull)
    suspend(agency_a, coordinator)
    client.force_login(council_user)
    assert "agency suspended: existing placement runs on" in client.get("/placements/").content.decode()


def test_the_placements_list_makes_the_same_queries_for_5_rows_as_for_1(
    client, coordinator, agency_a, agency_b, coventry, django_assert_num_queries
):
    PlacementFactory(agency=agency_a)
    client.force_login(coordinator)
    # 1 SAVEPOINT (ATOMIC_REQUESTS), 2 session, 3 user, 4 count for the paginator, 5-7 the role, authority and
    # agency choices of the filters, 8 the page of placements with agency, authority, role and worker joined,
    # 9 RELEASE SAVEPOINT.
    with django_assert_num_queries(10):
        client.get("/placements/")
    for _ in range(2):
        PlacementFactory(agency=agency_b, authority=coventry)
        PlacementFactory(agency=agency_a, role=role("TM"))
    with django_assert_num_queries(10):
        response = client.get("/placements/")
    assert len(response.context["page"].object_list) == 5


# --- Registering a placement


def test_registering_a_placement_stores_it_and_registers_an_unknown_worker(client, agency_user, agency_a, solihull):
    client.force_login(agency_user)
    assert client.get("/placements/new/").status_code == 200
    response = client.post("/placements/new/", registration(authority=str(solihull.pk)))
    placement = Placement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/placements/{placement.pk}/"
    assert placement.agency == agency_a
    assert placement.authority == solihull
    assert placement.role.code == "SW"
    assert placement.pay_rate == Decimal("22.00")
    assert placement.on_costs == Decimal("4.10")
    assert placement.charge_rate == Decimal("29.50")
    assert placement.created_by == agency_user
    worker = Worker.objects.get()
    assert (worker.swe_number, placement.worker_qualified_on) == ("SW700123", date(2019, 7, 1))
    assert placement.worker == worker


def test_a_bad_registration_shows_each_error_beside_its_field_and_stores_nothing(client, agency_user, solihull):
    client.force_login(agency_user)
    response = client.post(
        "/placements/new/",
        registration(authority=str(solihull.pk), worker_swe_number="12345", pay_rate="-1", end_date="2025-01-01"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["worker_swe_number"] == ["A Social Work England registration number looks like SW123456."]
    assert form.errors["pay_rate"] == ["Ensure this value is greater than or equal to 0."]
    assert form.errors["end_date"] == ["The end date is before the start date."]
    assert Placement.objects.count() == 0
    assert Worker.objects.count() == 0


def test_another_agencys_claimed_qualification_date_is_not_quoted_nor_imposed(client, agency_user, solihull):
    """The page once refused a date differing from another agency's, quoting it: a way to read it."""
    PlacementFactory(worker=WorkerFactory(swe_number="SW700123"), worker_qualified_on=date(2018, 7, 1))
    client.force_login(agency_user)
    response = client.post("/placements/new/", registration(authority=str(solihull.pk)))
    assert response.status_code == 302
    placement = Placement.objects.get(agency=agency_user.agency)
    assert placement.worker_qualified_on == date(2019, 7, 1)
    page = client.get(response["Location"]).content.decode()
    assert "1 July 2019" in page and "2018" not in page


def test_a_suspended_agency_sees_the_refusal_and_a_post_stores_nothing(
    client, coordinator, agency_user, agency_a, solihull
):
    suspend(agency_a, coordinator, reason="Charged above the cap on three placements after a warning.")
    client.force_login(agency_user)
    response = client.get("/placements/new/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "is suspended until" in page
    assert "Reason: Charged above the cap on three placements after a warning." in page
    assert "worker_swe_number" not in page  # no form
    response = client.post("/placements/new/", registration(authority=str(solihull.pk)))
    assert response.status_code == 403
    assert "cannot register new placements" in response.content.decode()
    assert Placement.objects.count() == 0
    assert Worker.objects.count() == 0


def test_a_removed_agency_is_refused_too(client, agency_user, agency_a):
    agency_a.standing = Agency.Standing.REMOVED
    agency_a.save()
    client.force_login(agency_user)
    assert "has been removed from the MoU's list of agencies" in text(client.get("/placements/new/"))


@pytest.mark.parametrize("persona", ["coordinator", "analyst", "council_user"])
def test_only_agency_users_may_register_placements(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/placements/new/").status_code == 403
    assert client.post("/placements/new/", registration()).status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/placements/new/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/placements/new/"


# --- Placement page and the week's timesheet


def test_the_placement_page_shows_details_and_timesheets(client, agency_user, agency_a, caps):
    placement = PlacementFactory(agency=agency_a, pay_rate=Decimal("25.00"), charge_rate=Decimal("30.00"))
    client.force_login(agency_user)
    client.post(f"/placements/{placement.pk}/timesheets/new/", week_post(days={0: ("7.5", "25.00", "30.00")}))
    response = client.get(f"/placements/{placement.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "£2.50/h over the £22.50/h cap (Agency Protocol January 2015)" in page
    [timesheet] = response.context["timesheets"]
    assert (timesheet.week_ending, timesheet.revision, timesheet.total_hours, timesheet.lines_count) == (
        WEEK_ENDING,
        1,
        Decimal("7.50"),
        1,
    )


def test_the_timesheet_form_prefills_the_placements_rates(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a, pay_rate=Decimal("31.00"), charge_rate=Decimal("41.00"))
    client.force_login(agency_user)
    response = client.get(f"/placements/{placement.pk}/timesheets/new/?week_ending={WEEK_ENDING}")
    rows = response.context["rows"]
    assert [row["day"] for row in rows] == [MONDAY + timedelta(days=i) for i in range(7)]
    assert rows[0]["form"].initial == {"hours": None, "pay_rate": Decimal("31.00"), "charge_rate": Decimal("41.00")}


def test_a_date_that_is_not_a_sunday_shows_the_week_it_falls_in(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    response = client.get(f"/placements/{placement.pk}/timesheets/new/?week_ending=2024-04-10")
    assert response.context["week_ending"] == WEEK_ENDING


def test_the_timesheet_form_stores_a_week_and_a_resubmission_makes_revision_2(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    url = f"/placements/{placement.pk}/timesheets/new/"
    response = client.post(url, week_post(days={0: ("7.5", "30.00", "40.00"), 1: ("8", "30.00", "40.00")}))
    assert response.status_code == 302
    timesheet = Timesheet.objects.get(placement=placement, week_ending=WEEK_ENDING)
    assert timesheet.revision == 1
    assert [(line.date, line.hours) for line in timesheet.current_lines()] == [
        (MONDAY, Decimal("7.50")),
        (MONDAY + timedelta(days=1), Decimal("8.00")),
    ]

    page = client.get(f"{url}?week_ending={WEEK_ENDING}")
    assert "this replaces revision 1's lines; the old ones stay in history" in text(page)
    assert page.context["rows"][1]["form"].initial["hours"] == Decimal("8.00")  # prefilled from the current lines

    client.post(url, week_post(days={0: ("6", "30.00", "40.00")}))
    timesheet.refresh_from_db()
    assert timesheet.revision == 2
    assert [(line.date, line.hours) for line in timesheet.current_lines()] == [(MONDAY, Decimal("6.00"))]
    assert TimesheetLine.objects.filter(timesheet=timesheet).count() == 3  # revision 1's two lines stay in history


def test_a_bad_line_is_shown_on_its_row_and_nothing_is_stored(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    response = client.post(
        f"/placements/{placement.pk}/timesheets/new/",
        week_post(days={0: ("7.5", "30.00", "40.00"), 2: ("25", "30.00", "40.00"), 4: ("7", "abc", "40.00")}),
    )
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows[2]["form"].errors["hours"] == ["Hours must be between 0 and 24 (got 25)"]
    assert rows[4]["form"].errors["pay_rate"] == ['Pay_rate must be a number like 30.50 (got "abc")']
    assert not rows[0]["form"].errors
    assert Timesheet.objects.count() == 0


def test_a_week_without_hours_is_refused(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    response = client.post(f"/placements/{placement.pk}/timesheets/new/", week_post())
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == [
        "A timesheet needs at least one line (a day of 0 hours is allowed)"
    ]
    assert Timesheet.objects.count() == 0


# --- Upload


def upload(client, text, name="week.csv"):
    return client.post("/timesheets/upload/", {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def test_the_upload_page_explains_the_columns_and_offers_a_template(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a, pay_rate=Decimal("31.00"), charge_rate=Decimal("41.00"))
    client.force_login(agency_user)
    page = client.get("/timesheets/upload/").content.decode()
    assert "placement,date,hours,pay_rate,charge_rate" in page
    assert "swe_number,authority,date,hours,pay_rate,charge_rate" in page
    template = client.get("/timesheets/upload/template.csv")
    assert template["Content-Type"] == "text/csv; charset=utf-8"
    lines = template.content.decode().splitlines()
    assert lines[0] == "placement,swe_number,authority,date,hours,pay_rate,charge_rate"
    assert len(lines) == 6
    assert lines[1].startswith(f"{placement.pk},{placement.worker.swe_number},Solihull,")
    assert lines[1].endswith(",7.50,31.00,41.00")


def test_the_template_is_accepted_as_downloaded_when_the_placement_started_mid_week(client, agency_user, agency_a):
    """A placement starting on last week's Wednesday: the template offers Wednesday to Friday only (it offered the
    whole week, and the upload refused Monday and Tuesday)."""
    from placements.timesheets.values import last_full_week_ending

    wednesday = last_full_week_ending(timezone.localdate()) - timedelta(days=4)
    placement = PlacementFactory(agency=agency_a, start_date=wednesday)
    client.force_login(agency_user)
    template = client.get("/timesheets/upload/template.csv").content.decode()
    days = [line.split(",")[3] for line in template.splitlines()[1:]]
    assert days == [(wednesday + timedelta(days=n)).isoformat() for n in range(3)]

    response = upload(client, template, name="timesheet-template.csv")

    assert response.status_code == 200, response.content.decode()[:2000]
    assert TimesheetLine.objects.filter(placement=placement).count() == 3


def test_an_upload_with_bad_rows_lists_each_and_stores_nothing(client, agency_user, agency_a, agency_b):
    mine = PlacementFactory(agency=agency_a)
    theirs = PlacementFactory(agency=agency_b)
    client.force_login(agency_user)
    response = upload(
        client,
        "placement,date,hours,pay_rate,charge_rate\n"
        f"{mine.pk},2024-04-08,7.5,30.00,40.00\n"
        f"{mine.pk},2024-04-09,30,30.00,40.00\n"
        f"{theirs.pk},2024-04-09,7.5,30.00,40.00\n",
    )
    assert response.status_code == 400
    assert response.context["rejected"].errors == [
        {"row": 3, "column": "hours", "message": "hours must be between 0 and 24 (got 30)"},
        {"row": 4, "column": "placement", "message": f"placement {theirs.pk} is not one of your agency's placements"},
    ]
    page = response.content.decode()
    assert "nothing was stored" in page
    assert "hours must be between 0 and 24 (got 30)" in page
    assert Timesheet.objects.count() == 0
    assert TimesheetLine.objects.count() == 0


def test_a_good_upload_stores_the_lines_and_shows_the_counts(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    response = upload(
        client,
        "placement,date,hours,pay_rate,charge_rate\n"
        f"{mine.pk},2024-04-08,7.5,30.00,40.00\n"
        f"{mine.pk},2024-04-09,7.5,30.00,40.00\n"
        f"{mine.pk},2024-04-15,7,30.00,40.00\n",
    )
    result = response.context["result"]
    assert (result.rows, result.weeks, result.lines_stored) == (3, 2, 3)
    assert "3 timesheet lines stored in 2 weeks" in response.content.decode()
    assert TimesheetLine.objects.count() == 3


def test_the_same_upload_again_says_its_weeks_are_unchanged(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    text = (
        "placement,date,hours,pay_rate,charge_rate\n"
        f"{mine.pk},2024-04-08,7.5,30.00,40.00\n"
        f"{mine.pk},2024-04-15,7,30.00,40.00\n"
    )
    upload(client, text)

    response = upload(client, text)

    page = response.content.decode()
    assert "Nothing new to store: every week in the file is already as submitted" in page
    assert "0 timesheet lines stored in 0 weeks" in page
    assert "2 weeks unchanged: their lines in the file are exactly those already submitted" in page
    assert "The audit checks the new lines" not in page
    assert TimesheetLine.objects.count() == 2


def one_day_file(placement, day, hours="7.50"):
    return f"placement,date,hours,pay_rate,charge_rate\n{placement.pk},{day},{hours},30.00,40.00\n"


def confirm(client, response, **extra):
    """Post the page's confirmation form as shown (its hidden fields), with `extra`."""
    form = response.context["confirm_form"]
    data = {name: form[name].value() for name in ("pending", "digest")}
    return client.post("/timesheets/upload/", {**data, **extra})


def current_dates(placement):
    return list(TimesheetLine.objects.filter(placement=placement).current().values_list("date", flat=True))


def test_an_upload_that_would_drop_days_warns_naming_them_and_stores_nothing(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a, start_date=date(2025, 11, 3), worker__swe_number="SW123")
    client.force_login(agency_user)
    upload(
        client,
        f"placement,date,hours,pay_rate,charge_rate\n{mine.pk},2025-11-03,7.5,30,40\n{mine.pk},2025-11-04,7.5,30,40\n",
    )

    response = upload(client, one_day_file(mine, "2025-11-05"))

    assert response.status_code == 200
    page = html.unescape(re.sub(r"\s+", " ", response.content.decode()))
    assert (
        f"This replaces the week of 3 Nov 2025 for placement No. {mine.pk} (SW123 at Solihull): "
        "Monday 3 Nov and Tuesday 4 Nov, 15 hours in all, are not in the file and will be dropped"
    ) in page
    assert 'class="warning-text"' in page
    assert "I understand these days will be dropped" in page
    assert "The file was stored" not in page
    assert current_dates(mine) == [date(2025, 11, 3), date(2025, 11, 4)]  # nothing changed
    assert Timesheet.objects.get().revision == 1


def test_confirming_stores_the_file_and_the_result_names_the_dropped_days(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a, start_date=date(2025, 11, 3), worker__swe_number="SW123")
    client.force_login(agency_user)
    upload(client, one_day_file(mine, "2025-11-03"))
    asked = upload(client, one_day_file(mine, "2025-11-04"))

    response = confirm(client, asked, understood="on")

    assert response.status_code == 200
    page = html.unescape(re.sub(r"\s+", " ", response.content.decode()))
    assert "The file was stored" in page
    assert f"Dropped from the week of 3 Nov 2025 for placement No. {mine.pk} (SW123 at Solihull): Monday 3 Nov" in page
    assert current_dates(mine) == [date(2025, 11, 4)]
    # Sent again (a second click, the back button): stored once.
    again = confirm(client, asked, understood="on")
    assert Timesheet.objects.get().revision == 2
    assert TimesheetLine.objects.filter(placement=mine).count() == 2
    # Not "upload it again" (it was stored): the page says the first confirmation did it.
    assert again.status_code == 200
    assert "That file was stored when you first confirmed: nothing more was done." in again.content.decode()


def test_four_single_day_uploads_each_ask_and_leave_the_last_day(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a, start_date=date(2025, 11, 3))
    client.force_login(agency_user)
    assert upload(client, one_day_file(mine, "2025-11-03")).context["result"].lines_stored == 1
    for previous, day in [("3 Nov", "2025-11-04"), ("4 Nov", "2025-11-05"), ("5 Nov", "2025-11-06")]:
        asked = upload(client, one_day_file(mine, day))
        assert asked.context["result"] is None
        assert previous in re.sub(r"\s+", " ", asked.content.decode())
        assert confirm(client, asked, understood="on").context["result"].lines_dropped == 1
    assert current_dates(mine) == [date(2025, 11, 6)]


def test_confirming_without_ticking_the_box_asks_again_and_stores_nothing(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a, start_date=date(2025, 11, 3))
    client.force_login(agency_user)
    upload(client, one_day_file(mine, "2025-11-03"))
    asked = upload(client, one_day_file(mine, "2025-11-04"))

    response = confirm(client, asked)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert "Tick the box to confirm that these days will be dropped, or upload another file" in page
    assert current_dates(mine) == [date(2025, 11, 3)]


def test_another_users_pending_upload_cannot_be_confirmed(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a, start_date=date(2025, 11, 3))
    client.force_login(agency_user)
    upload(client, one_day_file(mine, "2025-11-03"))
    asked = upload(client, one_day_file(mine, "2025-11-04"))
    colleague = UserFactory(role=agency_user.role, agency=agency_a)
    client.force_login(colleague)

    response = confirm(client, asked, understood="on")

    assert response.status_code == 400
    assert current_dates(mine) == [date(2025, 11, 3)]


def test_a_resubmission_that_drops_no_day_is_stored_without_asking(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a, start_date=date(2025, 11, 3))
    client.force_login(agency_user)
    upload(client, one_day_file(mine, "2025-11-03"))

    response = upload(client, one_day_file(mine, "2025-11-03", hours="8.00"))

    assert response.context["result"].timesheets_revised == 1
    assert "will be dropped" not in response.content.decode()
    assert list(TimesheetLine.objects.current().values_list("hours", flat=True)) == [Decimal("8.00")]


@pytest.mark.parametrize("persona", ["coordinator", "council_user"])
def test_only_agency_users_may_upload(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/timesheets/upload/").status_code == 403


# --- Cap check


def test_the_cap_check_page_answers_without_javascript(client, council_user, caps):
    client.force_login(council_user)
    assert client.get("/cap-check/").status_code == 200  # an empty form, no answer
    response = client.get("/cap-check/?role=SW&engagement_type=paye&date=2015-06-01&pay_rate=25.00&charge_rate=30.00")
    page = response.content.decode()
    assert "£2.50/h over the £22.50/h cap (Agency Protocol January 2015)" in page
    assert "within the £30.00/h charge cap (Agency Protocol January 2015)" in page


def test_the_cap_check_page_says_a_rate_is_within_the_cap(client, agency_user, caps):
    client.force_login(agency_user)
    response = client.get("/cap-check/?role=SW&date=2015-06-01&pay_rate=22.50")
    assert response.context["verdict"]["pay"] == "within the £22.50/h cap (Agency Protocol January 2015)"


def test_the_cap_check_page_says_when_a_role_has_no_cap(client, agency_user, caps):
    client.force_login(agency_user)
    response = client.get("/cap-check/?role=SM&date=2015-06-01&pay_rate=60.00")
    assert response.context["verdict"]["pay"].startswith("No cap for this role")


def test_the_forms_load_the_committed_cap_check_script_and_nothing_from_the_internet(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    for url in ("/cap-check/", "/placements/new/", f"/placements/{placement.pk}/timesheets/new/"):
        page = client.get(url).content.decode()
        assert '<script src="/static/js/cap-check.js" defer></script>' in page
        assert "data-cap-check" in page
        assert "http://" not in page and "https://" not in page
    assert client.get("/static/js/cap-check.js").status_code == 200


# --- Home and breaches


def test_a_suspended_agencys_home_shows_since_when_until_when_and_why(client, coordinator, agency_user, agency_a):
    suspend(agency_a, coordinator, reason="Charged above the cap on three placements after a warning.")
    client.force_login(agency_user)
    page = client.get("/").content.decode()
    today = timezone.localdate()
    assert f"Suspended since <strong>{today - timedelta(days=10):%-d %B %Y}</strong>" in page
    assert f"until <strong>{today + timedelta(days=80):%-d %B %Y}</strong>" in page
    assert "Charged above the cap on three placements after a warning." in page


def test_an_agencys_home_lists_its_open_breaches_and_actions_awaiting_signature(
    client, agency_user, agency_a, agency_b, solihull
):
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    BreachFactory(placement=placement, rule="pay_rate_above_cap", excess_amount=37.5)
    BreachFactory(placement=placement, rule="cooling_off", status="resolved")
    BreachFactory(placement=None, agency=agency_b, rule="manual", description="Approached a worker in post")
    CorrectiveActionFactory(agency=agency_a, status="issued", summary="Repay the excess")
    CorrectiveActionFactory(agency=agency_b, status="issued")
    client.force_login(agency_user)
    response = client.get("/")
    portal = response.context["summary"]["agency"]
    assert [b.rule for b in portal["open_breaches"]] == ["pay_rate_above_cap"]
    assert [a.summary for a in portal["awaiting_signature"]] == ["Repay the excess"]
    page = response.content.decode()
    assert "£37.50" in page
    assert 'href="/breaches/?status=unresolved"' in page


def make_breaches(n, *, agency, authority):
    for _ in range(n):
        BreachFactory(
            placement__agency=agency, placement__authority=authority, rule="pay_rate_above_cap", lines_count=3
        )


def test_the_breach_list_is_scoped_to_the_user(client, agency_user, council_user, agency_a, agency_b, coventry):
    make_breaches(2, agency=agency_a, authority=coventry)
    make_breaches(1, agency=agency_b, authority=coventry)
    client.force_login(agency_user)
    assert client.get("/breaches/").context["page"].paginator.count == 2
    client.force_login(council_user)  # Solihull: none of these are at its authority
    response = client.get("/breaches/")
    assert response.context["page"].paginator.count == 0
    assert "No breach cases" in response.content.decode()


def test_the_breach_list_makes_the_same_queries_for_5_rows_as_for_1(
    client, coordinator, agency_a, solihull, django_assert_num_queries
):
    make_breaches(1, agency=agency_a, authority=solihull)
    client.force_login(coordinator)
    # The coordinator's breach queue (each query named in tests/compliance/test_breach_queue.py): 10.
    with django_assert_num_queries(10):
        client.get("/breaches/")
    make_breaches(4, agency=agency_a, authority=solihull)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/breaches/")
    assert len(queries) == 10
    assert len(response.context["page"].object_list) == 5


def test_a_stored_week_says_which_days_are_over_the_cap(client, agency_user, agency_a, caps):
    """Cap £22.50 pay, £30.00 charge: Monday within, Tuesday £1.00 over the pay cap, Wednesday over both."""
    placement = PlacementFactory(agency=agency_a, pay_rate=Decimal("22.00"), charge_rate=Decimal("29.00"))
    client.force_login(agency_user)
    days = {0: ("7.5", "22.00", "29.00"), 1: ("7.5", "23.50", "29.00"), 2: ("7.5", "23.00", "31.00")}
    response = client.post(f"/placements/{placement.pk}/timesheets/new/", week_post(days=days), follow=True)
    assert (
        "2 days of this week are above the MoU's cap (Tue 9 Apr: pay £1.00/h over the £22.50/h cap; Wed 10 Apr: "
        "pay £0.50/h over the £22.50/h cap and charge £1.00/h over the £30.00/h charge cap). The audit will open a "
        "breach case for them." in text(response)
    )
    within = {0: ("7.5", "22.00", "29.00")}
    again = client.post(f"/placements/{placement.pk}/timesheets/new/", week_post(days=within), follow=True)
    assert "above the MoU's cap" not in text(again)


# --- Upload by the worker's registration number and the council


def test_rows_may_name_the_worker_and_the_council_instead_of_the_placement_number(
    client, agency_user, agency_a, solihull, coventry
):
    worker = WorkerFactory(swe_number="SW654321")
    spring = PlacementFactory(agency=agency_a, worker=worker, start_date=date(2024, 3, 4), end_date=date(2024, 4, 5))
    summer = PlacementFactory(agency=agency_a, worker=worker, start_date=date(2024, 4, 8))
    at_coventry = PlacementFactory(agency=agency_a, worker=worker, authority=coventry, start_date=date(2024, 3, 4))
    client.force_login(agency_user)
    response = upload(
        client,
        "SWE Number,Council,date,hours,pay_rate,charge_rate\n"
        "sw654321,Solihull,2024-04-05,7.5,30.00,40.00\n"  # by name, any case: the spring placement
        "SW654321,E08000029,2024-04-08,7.5,30.00,40.00\n"  # by ONS code: the summer one
        "SW654321,331,2024-04-09,7.5,30.00,40.00\n",  # by DfE code (Coventry's)
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    stored = dict(TimesheetLine.objects.values_list("date", "placement_id"))
    assert stored == {date(2024, 4, 5): spring.pk, date(2024, 4, 8): summer.pk, date(2024, 4, 9): at_coventry.pk}


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ("SW654321,Solihull,2024-02-05", "no placement of SW654321 at Solihull runs on 2024-02-05: its placements are"),
        ("SW999999,Solihull,2024-04-08", "you have no placement of SW999999 at Solihull"),
        ("SW654321,Atlantis,2024-04-08", 'authority "Atlantis" is not a council or trust of the region'),
        (",Solihull,2024-04-08", "give the placement's number, or the worker's registration number and the council"),
    ],
)
def test_a_row_that_names_no_placement_of_the_uploaders_says_why(
    client, agency_user, agency_a, agency_b, solihull, row, said
):
    worker = WorkerFactory(swe_number="SW654321")
    PlacementFactory(agency=agency_a, worker=worker, start_date=date(2024, 3, 4))
    PlacementFactory(agency=agency_b, worker=WorkerFactory(swe_number="SW999999"))  # another agency's: not named
    client.force_login(agency_user)
    response = upload(client, f"swe_number,authority,date,hours,pay_rate,charge_rate\n{row},7.5,30.00,40.00\n")
    page = html.unescape(response.content.decode())
    assert said in page
    assert "Beta" not in page
    assert not TimesheetLine.objects.exists()


def test_a_number_given_with_the_worker_must_be_that_workers(client, agency_user, agency_a, coventry):
    placement = PlacementFactory(agency=agency_a, worker=WorkerFactory(swe_number="SW111111"))
    client.force_login(agency_user)
    response = upload(
        client,
        "placement,swe_number,authority,date,hours,pay_rate,charge_rate\n"
        f"{placement.pk},SW222222,Solihull,2024-04-08,7.5,30.00,40.00\n"
        f"{placement.pk},SW111111,Coventry,2024-04-09,7.5,30.00,40.00\n",
    )
    page = html.unescape(response.content.decode())
    assert f"placement {placement.pk} is SW111111's, not SW222222's" in page
    assert f"placement {placement.pk} is at Solihull, not Coventry" in page
    assert not TimesheetLine.objects.exists()


def test_an_unterminated_quote_is_named_with_its_row_not_quoted_as_a_date(client, agency_user, agency_a):
    """A quote opened and never closed made the rest of the file one cell: the refusal was a date error quoting every
    row after it. It says what it is, and on which row it opened."""
    mine = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    response = upload(
        client,
        "placement,date,hours,pay_rate,charge_rate\n"
        f"{mine.pk},2024-04-08,7.5,30.00,40.00\n"
        f'{mine.pk},"2024-04-09,7.5,30.00,40.00\n'
        f"{mine.pk},2024-04-10,7.5,30.00,40.00\n",
    )
    page = html.unescape(response.content.decode())
    assert 'a quote (") opened on row 3 is never closed: close it, or remove it' in page
    assert "2024-04-10" not in page.split("The file was not accepted", 1)[1]
    assert not TimesheetLine.objects.exists()


def test_a_cell_with_line_breaks_is_still_read_as_one_cell(client, agency_user, agency_a):
    mine = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    response = upload(
        client,
        "placement,date,hours,pay_rate,charge_rate,notes\n"
        f'{mine.pk},2024-04-08,7.5,30.00,40.00,"first line\nsecond line\n"\n'
        f"{mine.pk},2024-04-09,7.5,30.00,40.00,\n",
    )
    assert response.status_code == 200, html.unescape(response.content.decode())[-2000:]
    assert TimesheetLine.objects.count() == 2
