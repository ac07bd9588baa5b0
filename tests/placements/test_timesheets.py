"""Timesheet lines: validated in one place (pure functions), stored set-based, a week resubmitted as a new revision."""

import threading
import time
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module

from django.apps import apps
from django.db import connection

import pytest

from agencies.models import Agency
from compliance import services as compliance_services
from compliance.models import AuditRun
from placements.models import Timesheet, TimesheetLine
from placements.timesheets import (
    InvalidValue,
    TimesheetRejected,
    outside_placement,
    outside_week,
    parse_date,
    parse_hours,
    parse_line,
    parse_rate,
    timesheet_submit,
    week_ending_of,
)
from tests.factories import PlacementFactory

WEEK = date(2024, 4, 7)  # a Sunday: the placement's first week, Monday 1 to Sunday 7 April 2024


def week_lines(hours="7.50", pay_rate="30.00", charge_rate="40.00", days=(1, 2, 3, 4, 5)):
    return [
        {"date": f"2024-04-{day:02d}", "hours": hours, "pay_rate": pay_rate, "charge_rate": charge_rate} for day in days
    ]


def refusal(value_parser, *args):
    with pytest.raises(InvalidValue) as caught:
        value_parser(*args)
    return caught.value.message


# --- Values, without a database ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, hours",
    [
        ("0", "0.00"),
        ("7.5", "7.50"),
        ("7.50", "7.50"),
        (" 24 ", "24.00"),
        ("24.00", "24.00"),
        (7.5, "7.50"),
        (8, "8.00"),
    ],
)
def test_hours_from_0_to_24_with_two_decimal_places_are_accepted(typed, hours):
    assert parse_hours(typed) == Decimal(hours)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("-1", "hours must be between 0 and 24 (got -1)"),
        ("24.5", "hours must be between 0 and 24 (got 24.5)"),
        ("25", "hours must be between 0 and 24 (got 25)"),
        (25, "hours must be between 0 and 24 (got 25)"),
        ("7.555", "hours must have at most 2 decimal places (got 7.555)"),
        ("abc", 'hours must be a number like 7.50 (got "abc")'),
        ("NaN", 'hours must be a number like 7.50 (got "NaN")'),
        ("1e3", 'hours must be a number like 7.50 (got "1e3")'),
        ("", "hours is missing"),
        (None, "hours is missing"),
        (float("nan"), "hours must be a number like 7.50 (got nan)"),
        (True, "hours must be a number (got True)"),
        (["7.5"], "hours must be a number (got ['7.5'])"),
    ],
)
def test_impossible_hours_are_refused_naming_the_value(typed, message):
    assert refusal(parse_hours, typed) == message


@pytest.mark.parametrize(
    "typed, rate", [("30.5", "30.50"), ("30.50", "30.50"), ("£30.50", "30.50"), ("£ 39.26", "39.26"), ("0", "0.00")]
)
def test_rates_are_accepted_with_or_without_a_pound_sign(typed, rate):
    assert parse_rate(typed, "pay_rate") == Decimal(rate)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("abc", 'pay_rate must be a number like 30.50 (got "abc")'),
        ("-5", "pay_rate must not be negative (got -5)"),
        ("£-5.00", "pay_rate must not be negative (got -5.00)"),
        ("1,030.00", 'pay_rate must be a number like 30.50 (got "1,030.00")'),
        ("NaN", 'pay_rate must be a number like 30.50 (got "NaN")'),
        ("Infinity", 'pay_rate must be a number like 30.50 (got "Infinity")'),
        ("1e3", 'pay_rate must be a number like 30.50 (got "1e3")'),
        ("30.505", "pay_rate must have at most 2 decimal places (got 30.505)"),
        ("100000", "pay_rate must be at most 99999.99 an hour (got 100000)"),
        ("", "pay_rate is missing"),
    ],
)
def test_impossible_rates_are_refused_naming_the_value(typed, message):
    assert refusal(parse_rate, typed, "pay_rate") == message


@pytest.mark.parametrize(
    "typed",
    ["2024-05-03", "03/05/2024", "3/5/2024", "2024-05-03 00:00:00", date(2024, 5, 3), datetime(2024, 5, 3, 0, 0)],
)
def test_dates_are_read_as_iso_or_as_uk_spreadsheets_write_them(typed):
    assert parse_date(typed) == date(2024, 5, 3)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("2024-02-30", "date 2024-02-30 is not a day of the calendar"),
        ("31/04/2024", "date 31/04/2024 is not a day of the calendar"),
        ("05/03/24", 'date must be written YYYY-MM-DD or DD/MM/YYYY (got "05/03/24")'),
        ("3 May 2024", 'date must be written YYYY-MM-DD or DD/MM/YYYY (got "3 May 2024")'),
        (45415, "date must be written YYYY-MM-DD or DD/MM/YYYY (got 45415)"),
        (datetime(2024, 5, 3, 9, 30), "date must be a day, not a time of day (got 2024-05-03 09:30)"),
        ("", "date is missing"),
    ],
)
def test_impossible_dates_are_refused_naming_the_value(typed, message):
    assert refusal(parse_date, typed) == message


def test_a_week_ends_on_the_sunday_after_its_days():
    assert week_ending_of(date(2024, 4, 1)) == date(2024, 4, 7)  # Monday
    assert week_ending_of(date(2024, 4, 7)) == date(2024, 4, 7)  # Sunday
    assert week_ending_of(date(2024, 4, 8)) == date(2024, 4, 14)


def test_dates_outside_the_placement_say_which_end_they_miss():
    start, end = date(2024, 4, 1), date(2024, 4, 30)
    assert outside_placement(date(2024, 4, 1), starts_on=start, ends_on=end) is None
    assert outside_placement(date(2024, 4, 30), starts_on=start, ends_on=end) is None
    assert outside_placement(date(2024, 5, 3), starts_on=start, ends_on=end) == (
        "date 2024-05-03 is after the placement ended on 2024-04-30"
    )
    assert outside_placement(date(2024, 3, 31), starts_on=start, ends_on=None) == (
        "date 2024-03-31 is before the placement started on 2024-04-01"
    )
    assert outside_placement(date(2030, 1, 1), starts_on=start, ends_on=None, today=date(2030, 1, 1)) is None
    assert outside_placement(date(2030, 1, 2), starts_on=start, ends_on=None, today=date(2030, 1, 1)) == (
        "date 2030-01-02 has not happened yet: a timesheet records days already worked"
    )


def test_dates_outside_the_week_are_named_with_the_week():
    assert outside_week(date(2024, 4, 1), week_ending=WEEK) is None
    assert outside_week(date(2024, 4, 8), week_ending=WEEK) == (
        "date 2024-04-08 is not in the week ending 2024-04-07 (2024-04-01 to 2024-04-07)"
    )


def test_a_line_reports_every_bad_field_at_once():
    line, errors = parse_line(
        {"date": "2024-05-03", "hours": "25", "pay_rate": "abc", "charge_rate": "40"},
        starts_on=date(2024, 4, 1),
        ends_on=date(2024, 4, 30),
    )
    assert line is None
    assert errors == {
        "date": "date 2024-05-03 is after the placement ended on 2024-04-30",
        "hours": "hours must be between 0 and 24 (got 25)",
        "pay_rate": 'pay_rate must be a number like 30.50 (got "abc")',
    }


# --- Submitting a week ------------------------------------------------------------------------------------------------


@pytest.fixture
def placement(agency_a):
    return PlacementFactory(agency=agency_a, start_date=date(2024, 4, 1), end_date=date(2024, 6, 30))


def current(timesheet):
    return list(timesheet.current_lines().values_list("date", "hours", "pay_rate", "charge_rate"))


@pytest.mark.django_db
def test_a_good_week_is_stored_as_revision_1(placement, agency_user):
    timesheet = timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(), by=agency_user)

    assert (timesheet.placement, timesheet.week_ending, timesheet.revision) == (placement, WEEK, 1)
    assert timesheet.submitted_by == agency_user
    assert current(timesheet) == [
        (date(2024, 4, day), Decimal("7.50"), Decimal("30.00"), Decimal("40.00")) for day in (1, 2, 3, 4, 5)
    ]
    assert TimesheetLine.objects.filter(placement=placement, superseded_at__isnull=True).count() == 5


@pytest.mark.django_db
def test_resubmitting_a_week_replaces_its_lines_and_keeps_the_old_ones(placement, agency_user):
    timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(), by=agency_user)

    timesheet = timesheet_submit(
        placement=placement, week_ending=WEEK, lines=week_lines(hours="8", days=(1, 2)), by=agency_user
    )

    assert timesheet.revision == 2
    assert Timesheet.objects.count() == 1
    assert current(timesheet) == [
        (date(2024, 4, 1), Decimal("8.00"), Decimal("30.00"), Decimal("40.00")),
        (date(2024, 4, 2), Decimal("8.00"), Decimal("30.00"), Decimal("40.00")),
    ]
    old = TimesheetLine.objects.filter(timesheet=timesheet, revision=1)
    assert old.count() == 5
    assert old.filter(superseded_at__isnull=False).count() == 5
    assert TimesheetLine.objects.filter(timesheet=timesheet, superseded_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_third_submission_supersedes_only_the_second(placement, agency_user):
    for hours in ("7", "8", "9"):
        timesheet = timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(hours), by=agency_user)

    assert timesheet.revision == 3
    superseded = TimesheetLine.objects.filter(timesheet=timesheet, superseded_at__isnull=False)
    assert sorted(superseded.values_list("revision", flat=True)) == [1] * 5 + [2] * 5
    assert {hours for _day, hours, _pay, _charge in current(timesheet)} == {Decimal("9.00")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, error",
    [
        ({"hours": "-1"}, {"line": 2, "field": "hours", "message": "hours must be between 0 and 24 (got -1)"}),
        ({"hours": "24.5"}, {"line": 2, "field": "hours", "message": "hours must be between 0 and 24 (got 24.5)"}),
        (
            {"date": "2024-04-08"},
            {
                "line": 2,
                "field": "date",
                "message": "date 2024-04-08 is not in the week ending 2024-04-07 (2024-04-01 to 2024-04-07)",
            },
        ),
        (
            {"date": "2024-03-31"},
            {"line": 2, "field": "date", "message": "date 2024-03-31 is before the placement started on 2024-04-01"},
        ),
        (
            {"pay_rate": "abc"},
            {"line": 2, "field": "pay_rate", "message": 'pay_rate must be a number like 30.50 (got "abc")'},
        ),
        (
            {"date": "2024-04-01"},
            {"line": 2, "field": "date", "message": "date 2024-04-01 is already on line 1 (one line per day)"},
        ),
    ],
    ids=["negative hours", "24.5 hours", "outside the week", "outside the placement", "rate abc", "duplicate date"],
)
def test_an_impossible_line_refuses_the_week_and_stores_nothing(placement, agency_user, change, error):
    lines = week_lines()
    lines[1].update(change)

    with pytest.raises(TimesheetRejected) as caught:
        timesheet_submit(placement=placement, week_ending=WEEK, lines=lines, by=agency_user)

    assert caught.value.errors == [error]
    assert caught.value.detail == {"lines": [{}, {error["field"]: [error["message"]]}, {}, {}, {}]}
    assert caught.value.message_dict == {"lines": [f"line 2, {error['field']}: {error['message']}"]}
    assert Timesheet.objects.count() == 0
    assert TimesheetLine.objects.count() == 0
    assert AuditRun.objects.count() == 0


@pytest.mark.django_db
def test_a_date_after_the_placement_ended_is_named_with_the_end(agency_a, agency_user):
    placement = PlacementFactory(agency=agency_a, start_date=date(2024, 4, 1), end_date=date(2024, 4, 30))
    lines = [{"date": "2024-05-03", "hours": "7.5", "pay_rate": "30", "charge_rate": "40"}]

    with pytest.raises(TimesheetRejected) as caught:
        timesheet_submit(placement=placement, week_ending=date(2024, 5, 5), lines=lines, by=agency_user)

    assert caught.value.errors == [
        {"line": 1, "field": "date", "message": "date 2024-05-03 is after the placement ended on 2024-04-30"}
    ]


@pytest.mark.django_db
def test_a_refused_resubmission_leaves_the_stored_week_as_it_was(placement, agency_user):
    timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(), by=agency_user)

    with pytest.raises(TimesheetRejected):
        timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(hours="25"), by=agency_user)

    timesheet = Timesheet.objects.get()
    assert timesheet.revision == 1
    assert TimesheetLine.objects.filter(superseded_at__isnull=True).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "week_ending, message",
    [
        (date(2024, 4, 5), "week_ending must be a Sunday (got Friday 2024-04-05)"),
        (date(2024, 3, 31), "the week ending 2024-03-31 is before the placement started on 2024-04-01"),
        (date(2024, 7, 7), "the week ending 2024-07-07 starts after the placement ended on 2024-06-30"),
        ("07/04/24", 'week_ending must be written YYYY-MM-DD or DD/MM/YYYY (got "07/04/24")'),
    ],
)
def test_a_week_must_end_on_a_sunday_within_the_placement(placement, agency_user, week_ending, message):
    with pytest.raises(TimesheetRejected) as caught:
        timesheet_submit(placement=placement, week_ending=week_ending, lines=[], by=agency_user)

    assert {"line": None, "field": "week_ending", "message": message} in caught.value.errors
    assert Timesheet.objects.count() == 0


@pytest.mark.django_db
def test_a_week_with_no_lines_is_refused(placement, agency_user):
    with pytest.raises(TimesheetRejected) as caught:
        timesheet_submit(placement=placement, week_ending=WEEK, lines=[], by=agency_user)

    assert caught.value.message_dict == {"lines": ["a timesheet needs at least one line (a day of 0 hours is allowed)"]}


@pytest.mark.django_db
def test_a_suspended_agency_still_submits_for_its_running_placement(placement, agency_user):
    Agency.objects.filter(pk=placement.agency_id).update(standing=Agency.Standing.SUSPENDED)

    timesheet = timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(), by=agency_user)

    assert timesheet.current_lines().count() == 5


@pytest.mark.django_db
def test_submission_queues_an_audit_after_commit(placement, agency_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(), by=agency_user)

    run = AuditRun.objects.get()
    assert (run.trigger, run.status, run.requested_by) == ("timesheet", AuditRun.Status.QUEUED, agency_user)
    assert len(callbacks) == 1  # run_audit.delay(run.pk), once the submission has committed


@pytest.mark.django_db
def test_a_second_submission_joins_the_audit_already_queued(placement, agency_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(), by=agency_user)
        timesheet_submit(
            placement=placement,
            week_ending=date(2024, 4, 14),
            lines=[{"date": "2024-04-08", "hours": "7.5", "pay_rate": "30", "charge_rate": "40"}],
            by=agency_user,
        )

    assert AuditRun.objects.count() == 1
    assert len(callbacks) == 1


@pytest.fixture
def committed_placement(transactional_db, agency_a):
    """A placement committed for other connections to see. A transactional test before this one may have flushed
    the database, seeded roles and authorities included: seed them again (the migrations' own, idempotent code)."""
    for migration in ("workforce.migrations.0002_seed_authorities", "mou.migrations.0002_seed_roles"):
        import_module(migration).seed(apps, None)
    return PlacementFactory(agency=agency_a, start_date=date(2024, 4, 1), end_date=date(2024, 6, 30))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_of_a_week_make_revisions_1_and_2(committed_placement, agency_user, monkeypatch):
    """Both transactions upsert the same new week; the second waits on the unique index and becomes revision 2."""
    placement = committed_placement
    queued = []
    monkeypatch.setattr("compliance.tasks.run_audit.delay", queued.append)  # no broker in this test
    real_audit_request = compliance_services.audit_request

    def slow_audit_request(**kwargs):
        # Holds the first transaction open after its upsert, so the second's upsert meets the uncommitted row.
        run = real_audit_request(**kwargs)
        time.sleep(0.5)
        return run

    monkeypatch.setattr(compliance_services, "audit_request", slow_audit_request)
    start, failures, revisions = threading.Barrier(2), [], []

    def submit(hours):
        try:
            start.wait()
            sheet = timesheet_submit(placement=placement, week_ending=WEEK, lines=week_lines(hours), by=agency_user)
            revisions.append(sheet.revision)
        except Exception as error:  # reported below: an assertion in a thread would be lost
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(hours,)) for hours in ("7", "8")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(revisions) == [1, 2]
    timesheet = Timesheet.objects.get(placement=placement, week_ending=WEEK)
    assert timesheet.revision == 2
    lines = TimesheetLine.objects.filter(timesheet=timesheet)
    assert lines.filter(revision=1, superseded_at__isnull=False).count() == 5
    assert lines.filter(revision=2, superseded_at__isnull=True).count() == 5


@pytest.mark.django_db
def test_a_line_that_is_not_a_mapping_is_refused(placement, agency_user):
    with pytest.raises(TimesheetRejected) as caught:
        timesheet_submit(placement=placement, week_ending=WEEK, lines=[*week_lines(days=(1,)), "7.5"], by=agency_user)

    assert caught.value.errors == [
        {"line": 2, "field": "line", "message": "each line must be a mapping of date, hours, pay_rate and charge_rate"}
    ]
    assert Timesheet.objects.count() == 0
