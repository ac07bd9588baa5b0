"""Upload of timesheet lines as CSV or XLSX: every row checked, a file with any bad row stores nothing."""

import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pghistory
import pytest
from openpyxl import Workbook

from compliance.models import AuditRun
from placements.models import Timesheet, TimesheetLine
from placements.timesheets import timesheet_submit
from placements.uploads import DropsNeedConfirmation, UploadRejected, timesheet_upload
from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

HEADER = ("placement", "date", "hours", "pay_rate", "charge_rate")
MONDAY = date(2024, 4, 1)


def working_days(count, first=MONDAY):
    """`count` weekdays from `first` (a Monday): five a week."""
    return [first + timedelta(weeks=n // 5, days=n % 5) for n in range(count)]


def rows_for(placements, days_each, hours="7.50"):
    return [
        (placement.pk, day.isoformat(), hours, "30.00", "40.00")
        for placement in placements
        for day in working_days(days_each)
    ]


def csv_file(rows, header=HEADER, name="lines.csv", prefix=""):
    text = prefix + "\r\n".join(",".join(str(cell) for cell in row) for row in [header, *rows]) + "\r\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("lines.xlsx", buffer.getvalue())


def rejection(file, user):
    with pytest.raises(UploadRejected) as caught:
        timesheet_upload(file=file, user=user)
    return caught.value


def nothing_stored():
    return Timesheet.objects.count() == 0 and TimesheetLine.objects.count() == 0 and AuditRun.objects.count() == 0


@pytest.fixture
def placement(agency_a):
    return PlacementFactory(agency=agency_a, start_date=MONDAY)


def test_a_good_file_of_10000_rows_is_stored(agency_a, agency_user):
    placements = PlacementFactory.create_batch(100, agency=agency_a, start_date=MONDAY)

    result = timesheet_upload(file=csv_file(rows_for(placements, 100)), user=agency_user)

    # 100 placements × 100 working days = 20 weeks each
    assert (result.rows, result.weeks, result.timesheets_created, result.timesheets_revised) == (
        10_000,
        2_000,
        2_000,
        0,
    )
    assert result.lines_stored == 10_000
    assert TimesheetLine.objects.count() == 10_000
    assert Timesheet.objects.count() == 2_000
    assert set(Timesheet.objects.values_list("revision", flat=True)) == {1}
    assert set(Timesheet.objects.values_list("submitted_by", flat=True)) == {agency_user.pk}
    first = Timesheet.objects.get(placement=placements[0], week_ending=date(2024, 4, 7))
    assert list(first.current_lines().values_list("date", "hours", "pay_rate", "charge_rate")) == [
        (MONDAY + timedelta(days=n), Decimal("7.50"), Decimal("30.00"), Decimal("40.00")) for n in range(5)
    ]


def test_a_file_with_one_bad_row_among_1000_stores_nothing_and_names_it(agency_a, agency_user):
    placements = PlacementFactory.create_batch(10, agency=agency_a, start_date=MONDAY)
    rows = rows_for(placements, 100)
    rows[499] = (*rows[499][:2], "25", *rows[499][3:])  # the 500th line is row 501: the header is row 1

    rejected = rejection(csv_file(rows), agency_user)

    assert rejected.errors == [{"row": 501, "column": "hours", "message": "hours must be between 0 and 24 (got 25)"}]
    assert rejected.more == 0
    assert rejected.messages == ["row 501, hours: hours must be between 0 and 24 (got 25)"]
    assert nothing_stored()


def test_every_bad_row_is_named_with_its_column(placement, agency_user):
    rows = [
        (placement.pk, "2024-04-01", "7.5", "30", "40"),
        (placement.pk, "2024-03-29", "-2", "abc", "40"),
        ("x12", "01/04/2024", "7.5", "30", ""),
    ]

    rejected = rejection(csv_file(rows), agency_user)

    assert rejected.errors == [
        {"row": 3, "column": "date", "message": "date 2024-03-29 is before the placement started on 2024-04-01"},
        {"row": 3, "column": "hours", "message": "hours must be between 0 and 24 (got -2)"},
        {"row": 3, "column": "pay_rate", "message": 'pay_rate must be a number like 30.50 (got "abc")'},
        {"row": 4, "column": "placement", "message": 'placement must be a placement number such as 1234 (got "x12")'},
        {"row": 4, "column": "charge_rate", "message": "charge_rate is missing"},
    ]
    assert nothing_stored()


def test_errors_are_listed_up_to_1000_with_a_count_of_the_rest(agency_a, agency_user):
    # 1,500 working days that have all happened (a day not yet worked would be a second error on its row).
    first = date(2019, 1, 7)
    placement = PlacementFactory(agency=agency_a, start_date=first)
    rows = [(placement.pk, day.isoformat(), "25", "30", "40") for day in working_days(1_500, first=first)]

    rejected = rejection(csv_file(rows), agency_user)

    assert len(rejected.errors) == 1_000
    assert (rejected.errors[0]["row"], rejected.errors[-1]["row"]) == (2, 1_001)
    assert rejected.more == 500
    assert rejected.messages[-1] == "and 500 more problems"


def test_duplicate_placement_and_date_rows_in_a_file_are_errors(placement, agency_user):
    rows = [
        (placement.pk, "2024-04-01", "7.5", "30", "40"),
        (placement.pk, "2024-04-02", "7.5", "30", "40"),
        (placement.pk, "01/04/2024", "4", "30", "40"),
    ]

    rejected = rejection(csv_file(rows), agency_user)

    message = f"placement {placement.pk}: date 2024-04-01 is already on row 2 (one line per day)"
    assert rejected.errors == [{"row": 4, "column": "date", "message": message}]
    assert nothing_stored()


def test_the_same_date_on_two_placements_is_fine(agency_a, agency_user):
    placements = PlacementFactory.create_batch(2, agency=agency_a, start_date=MONDAY)

    result = timesheet_upload(file=csv_file(rows_for(placements, 1)), user=agency_user)

    assert (result.weeks, result.lines_stored) == (2, 2)


def test_another_agencys_placement_is_refused_without_saying_whether_it_exists(placement, agency_b, agency_user):
    theirs = PlacementFactory(agency=agency_b, start_date=MONDAY)
    missing = theirs.pk + 1000
    rows = [
        (placement.pk, "2024-04-01", "7.5", "30", "40"),
        (theirs.pk, "2024-04-01", "7.5", "30", "40"),
        (missing, "2024-04-01", "7.5", "30", "40"),
    ]

    rejected = rejection(csv_file(rows), agency_user)

    assert rejected.errors == [
        {"row": 3, "column": "placement", "message": f"placement {theirs.pk} is not one of your agency's placements"},
        {"row": 4, "column": "placement", "message": f"placement {missing} is not one of your agency's placements"},
    ]
    assert nothing_stored()


def test_xlsx_with_date_cells_numbers_and_text_is_stored(placement, agency_user):
    rows = [
        (placement.pk, datetime(2024, 4, 1), 7.5, 30.5, 40),
        (float(placement.pk), "02/04/2024", "8", "£30.50", 40.25),
        (str(placement.pk), "2024-04-08", 0, 30, 40),
    ]

    result = timesheet_upload(file=xlsx_file(rows), user=agency_user)

    assert (result.rows, result.weeks, result.lines_stored) == (3, 2, 3)
    assert list(
        TimesheetLine.objects.order_by("date").values_list("date", "hours", "pay_rate", "charge_rate", "revision")
    ) == [
        (date(2024, 4, 1), Decimal("7.50"), Decimal("30.50"), Decimal("40.00"), 1),
        (date(2024, 4, 2), Decimal("8.00"), Decimal("30.50"), Decimal("40.25"), 1),
        (date(2024, 4, 8), Decimal("0.00"), Decimal("30.00"), Decimal("40.00"), 1),
    ]


def test_xlsx_with_a_bad_row_stores_nothing(placement, agency_user):
    rows = [(placement.pk, datetime(2024, 4, 1), 7.5, 30, 40), (placement.pk, datetime(2024, 4, 2), 24.5, 30, 40)]

    rejected = rejection(xlsx_file(rows), agency_user)

    assert rejected.errors == [{"row": 3, "column": "hours", "message": "hours must be between 0 and 24 (got 24.5)"}]
    assert nothing_stored()


def test_a_week_in_the_file_replaces_that_weeks_lines_and_leaves_other_weeks(placement, agency_user):
    five_days = [{"date": day, "hours": "7.5", "pay_rate": "30", "charge_rate": "40"} for day in working_days(5)]
    timesheet_submit(placement=placement, week_ending=date(2024, 4, 7), lines=five_days, by=agency_user)
    next_week = [{**line, "date": line["date"] + timedelta(weeks=1)} for line in five_days]
    timesheet_submit(placement=placement, week_ending=date(2024, 4, 14), lines=next_week, by=agency_user)

    result = timesheet_upload(
        file=csv_file([(placement.pk, "2024-04-01", "4", "30", "40"), (placement.pk, "2024-04-03", "4", "30", "40")]),
        user=agency_user,
    )

    assert (result.timesheets_created, result.timesheets_revised, result.lines_stored) == (0, 1, 2)
    first = Timesheet.objects.get(week_ending=date(2024, 4, 7))
    assert first.revision == 2
    assert list(first.current_lines().values_list("date", "hours")) == [
        (date(2024, 4, 1), Decimal("4.00")),
        (date(2024, 4, 3), Decimal("4.00")),
    ]
    assert first.lines.filter(revision=1, superseded_at__isnull=False).count() == 5
    second = Timesheet.objects.get(week_ending=date(2024, 4, 14))
    assert second.revision == 1
    assert second.lines.filter(superseded_at__isnull=True).count() == 5


def test_header_is_case_insensitive_in_any_order_and_extra_columns_are_ignored(placement, agency_user):
    header = ("Notes", "Date", "Placement", "Hours", "Pay rate", "CHARGE_RATE")
    rows = [("first day", "2024-04-01", placement.pk, "7.5", "30", "40")]

    result = timesheet_upload(file=csv_file(rows, header=header, prefix="\ufeff"), user=agency_user)

    assert (result.lines_stored, result.ignored_columns) == (1, ("notes",))


def test_a_file_without_the_header_row_is_refused(placement, agency_user):
    rows = [(placement.pk, "2024-04-02", "7.5", "30", "40")]

    rejected = rejection(csv_file(rows, header=(placement.pk, "2024-04-01", "7.5", "30", "40")), agency_user)

    assert rejected.errors == [
        {
            "row": 1,
            "column": None,
            "message": "the first row must name the columns placement, date, hours, pay_rate, charge_rate; missing: "
            f"placement, date, hours, pay_rate, charge_rate (the first row has: {placement.pk}, 2024-04-01, 7.5, 30, "
            "40)",
        }
    ]


def test_blank_rows_are_skipped_and_still_counted(placement, agency_user):
    text = f"placement,date,hours,pay_rate,charge_rate\n\n,,,,\n{placement.pk},2024-04-01,25,30,40\n"

    rejected = rejection(SimpleUploadedFile("lines.csv", text.encode()), agency_user)

    assert rejected.errors == [{"row": 4, "column": "hours", "message": "hours must be between 0 and 24 (got 25)"}]


def test_a_row_with_values_beyond_the_header_is_refused(placement, agency_user):
    rows = [(placement.pk, "2024-04-01", "7.5", "1", "030.00", "40")]  # "£1,030.00" typed unquoted

    rejected = rejection(csv_file(rows), agency_user)

    assert rejected.errors == [
        {"row": 2, "column": None, "message": "the row has values beyond the 5 columns the header names"}
    ]


def test_a_header_only_file_is_refused(agency_user):
    assert rejection(csv_file([]), agency_user).messages == ["The file has a header but no rows of timesheet lines."]


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b"%PDF-1.4\n\x00\x01binary",
            "The file is neither CSV nor XLSX: upload a CSV (UTF-8) or an Excel workbook (.xlsx).",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel",
            "This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) or as CSV UTF-8.",
        ),
        (b"", "The file is empty."),
        (
            "placement,date,hours,pay_rate,charge_rate\n1,2024-04-01,7.5,£30,40\n".encode("latin-1"),
            "The file is not UTF-8 text (near row 1): save it from the spreadsheet as “CSV UTF-8”, or upload the "
            ".xlsx workbook.",
        ),
        (
            b"placement;date;hours;pay_rate;charge_rate\n",
            "Columns must be separated by commas; this file uses semicolons.",
        ),
    ],
    ids=["pdf", "xls", "empty", "latin-1 csv", "semicolons"],
)
def test_a_file_of_another_type_is_refused(agency_user, content, message):
    rejected = rejection(SimpleUploadedFile("lines.csv", content), agency_user)

    assert rejected.errors == [{"row": None, "column": None, "message": message}]
    assert nothing_stored()


def test_a_zip_that_is_not_a_workbook_is_refused(agency_user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lines.csv", "placement,date\n")

    rejected = rejection(SimpleUploadedFile("lines.xlsx", buffer.getvalue()), agency_user)

    assert rejected.messages == ["The file is a zip archive but not an Excel workbook (.xlsx) that can be read."]


def test_an_oversized_file_is_refused_before_reading_it(agency_user, settings):
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1_048_576
    header = b"placement,date,hours,pay_rate,charge_rate\n"
    content = header + b"1,2024-04-01,7.5,30,40\n" * ((1_258_292 - len(header)) // 23)  # 1.2 MB

    rejected = rejection(SimpleUploadedFile("lines.csv", content), agency_user)

    assert rejected.messages == [
        "The file is 1.2 MB; the largest accepted is 1 MB. Split it into several files (whole weeks in each: a week "
        "in a file replaces that week's lines)."
    ]
    assert nothing_stored()


def test_a_file_spooled_to_disk_is_read_and_left_open(placement, agency_user):
    content = csv_file(rows_for([placement], 10)).read()
    upload = TemporaryUploadedFile("lines.csv", "text/csv", len(content), "utf-8")
    upload.write(content)
    upload.seek(0)

    result = timesheet_upload(file=upload, user=agency_user)

    assert (result.rows, result.weeks) == (10, 2)
    assert not upload.closed
    upload.close()


def test_an_upload_queues_one_audit_after_commit(placement, agency_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        timesheet_upload(file=csv_file(rows_for([placement], 10)), user=agency_user)

    run = AuditRun.objects.get()
    assert (run.trigger, run.requested_by) == ("timesheet", agency_user)
    assert len(callbacks) == 1


def test_the_coordinator_may_upload_for_any_agency(placement, coordinator):
    assert timesheet_upload(file=csv_file(rows_for([placement], 5)), user=coordinator).lines_stored == 5


def test_a_council_user_sees_no_other_authoritys_placement(placement, coventry, other_council_user):
    rejected = rejection(csv_file(rows_for([placement], 1)), other_council_user)

    assert rejected.errors[0]["message"] == (
        f"placement {placement.pk} is not one of the placements you may submit timesheets for"
    )


def test_storing_an_upload_takes_the_same_queries_for_100_rows_as_for_1000(agency_a, agency_user):
    queries = []
    for days_each in (10, 100):
        placements = PlacementFactory.create_batch(10, agency=agency_a, start_date=MONDAY)
        with CaptureQueriesContext(connection) as captured:
            timesheet_upload(file=csv_file(rows_for(placements, days_each)), user=agency_user)
        AuditRun.objects.update(status=AuditRun.Status.FINISHED)  # so the next upload queues an audit of its own
        queries.append([query["sql"].split()[0] for query in captured.captured_queries])

    assert len(queries[0]) == len(queries[1])
    # The COPY of staged rows (one per 5,000-row chunk) runs through psycopg's copy(), which Django does not log.
    assert queries[1] == [
        "SAVEPOINT",  # transaction.atomic() around the whole upload
        "CREATE",  # the temporary staging table
        "SELECT",  # which of the file's placements the user may see, with their dates (once per 5,000-row chunk)
        "WITH",  # rows repeating an earlier row's (placement, date)
        "ANALYZE",  # statistics for the staging table
        "SELECT",  # lock the file's placements (a second upload of the same weeks waits here)
        "WITH",  # take out the weeks whose lines are already their current lines (none here: all new)
        "SELECT",  # hold_audit_watermark: no audit fixes its range while these lines are uncommitted
        "DO",  # check the timesheets' foreign keys per statement, not at commit (see LineStaging.store)
        "WITH",  # upsert of every week's timesheet: created or revised
        "DO",  # and back to deferred
        # (an UPDATE superseding the replaced lines comes here when the file revises a week)
        "INSERT",  # every line, from the staging table
        "SELECT",  # audit_request: an audit already queued?
        "INSERT",  # audit_request: the AuditRun row
        "DROP",  # the staging table
        "RELEASE",
    ]


def test_an_upload_under_a_history_context_records_who_submitted_each_week(placement, agency_user):
    """The portal and the API run under pghistory's context (every statement then carries parameters)."""
    with pghistory.context(user=agency_user.pk, url="/timesheets/upload/"):
        timesheet_upload(file=csv_file(rows_for([placement], 5)), user=agency_user)
        timesheet_upload(file=csv_file(rows_for([placement], 5, hours="8")), user=agency_user)

    events = apps.get_model("placements", "TimesheetEvent").objects.order_by("pgh_id")
    assert [(event.pgh_label, event.pgh_context.metadata["url"]) for event in events] == [
        ("insert", "/timesheets/upload/"),
        ("update", "/timesheets/upload/"),
    ]


# --- A week sent again with the same lines ----------------------------------------------------------------------------


def lines_of_three_weeks(placements):
    return rows_for(placements, 15)  # three working weeks each: 2024-04-07, 04-14, 04-21


def test_the_same_file_uploaded_again_stores_nothing_new(agency_a, agency_user):
    placements = PlacementFactory.create_batch(2, agency=agency_a, start_date=MONDAY)
    timesheet_upload(file=csv_file(lines_of_three_weeks(placements)), user=agency_user)
    AuditRun.objects.update(status=AuditRun.Status.FINISHED)  # so a second upload that stored lines would queue one

    result = timesheet_upload(file=csv_file(lines_of_three_weeks(placements)), user=agency_user)

    assert (result.rows, result.weeks, result.timesheets_created, result.timesheets_revised) == (30, 6, 0, 0)
    assert (result.timesheets_unchanged, result.lines_stored) == (6, 0)
    assert set(Timesheet.objects.values_list("revision", flat=True)) == {1}
    assert TimesheetLine.objects.count() == 30
    assert not TimesheetLine.objects.filter(superseded_at__isnull=False).exists()
    assert AuditRun.objects.count() == 1  # nothing new to judge: no audit queued


def test_a_week_submitted_by_form_and_sent_again_in_a_file_is_unchanged(placement, agency_user):
    five_days = [{"date": day, "hours": "7.5", "pay_rate": "30", "charge_rate": "40"} for day in working_days(5)]
    timesheet_submit(placement=placement, week_ending=date(2024, 4, 7), lines=five_days, by=agency_user)

    # The same values written otherwise: 7.50 for 7.5, a UK date, an XLSX float.
    rows = [(placement.pk, datetime(2024, 4, 1), 7.5, 30, 40)]
    rows += [(placement.pk, f"0{day.day}/04/2024", "7.50", "30.00", "40.00") for day in working_days(5)[1:]]
    result = timesheet_upload(file=xlsx_file(rows), user=agency_user)

    assert (result.timesheets_unchanged, result.timesheets_revised, result.lines_stored) == (1, 0, 0)
    assert Timesheet.objects.get().revision == 1


@pytest.mark.parametrize(
    "change",
    ["hours", "pay_rate", "charge_rate", "a day more", "a day less"],
)
def test_a_file_that_changes_one_week_stores_only_that_week(agency_a, agency_user, change):
    placements = PlacementFactory.create_batch(2, agency=agency_a, start_date=MONDAY)
    rows = lines_of_three_weeks(placements)
    timesheet_upload(file=csv_file(rows), user=agency_user)

    # The second placement's middle week (rows 20 to 24: 2024-04-08 to 04-12) changes; every other week is as it was.
    changed = list(rows)
    if change == "a day more":
        changed.append((placements[1].pk, "2024-04-13", "4.00", "30.00", "40.00"))  # the Saturday
    elif change == "a day less":
        del changed[22]
    else:
        column = HEADER.index(change)
        changed[22] = (*changed[22][:column], "7.25" if change == "hours" else "29.00", *changed[22][column + 1 :])
    result = timesheet_upload(file=csv_file(changed), user=agency_user)

    lines_in_week = {"a day more": 6, "a day less": 4}.get(change, 5)
    assert (result.weeks, result.timesheets_created, result.timesheets_revised, result.timesheets_unchanged) == (
        6,
        0,
        1,
        5,
    )
    assert result.lines_stored == lines_in_week
    revised = Timesheet.objects.get(revision=2)
    assert (revised.placement, revised.week_ending) == (placements[1], date(2024, 4, 14))
    assert Timesheet.objects.filter(revision=1).count() == 5
    assert revised.current_lines().count() == lines_in_week
    superseded = TimesheetLine.objects.filter(superseded_at__isnull=False)
    assert list(superseded.values_list("timesheet", flat=True)) == [revised.pk] * 5
    assert TimesheetLine.objects.filter(superseded_at__isnull=True).count() == 25 + lines_in_week


# --- A resubmission that drops days -----------------------------------------------------------------------------------


def one_day(placement, day, hours="7.50"):
    return csv_file([(placement.pk, day.isoformat(), hours, "30.00", "40.00")])


def current_days(placement):
    return list(
        TimesheetLine.objects.filter(placement=placement, superseded_at__isnull=True)
        .order_by("date")
        .values_list("date", "hours")
    )


def test_a_single_day_upload_of_a_submitted_week_asks_before_dropping_the_days_it_lacks(placement, agency_user):
    timesheet_upload(file=one_day(placement, MONDAY), user=agency_user, ask_before_dropping=True)

    with pytest.raises(DropsNeedConfirmation) as asked:
        timesheet_upload(
            file=one_day(placement, MONDAY + timedelta(days=1)), user=agency_user, ask_before_dropping=True
        )

    dropped = asked.value.result.replaced_lines
    assert [(line.placement_id, line.date, line.hours, line.dropped) for line in dropped] == [
        (placement.pk, MONDAY, Decimal("7.50"), True)
    ]
    assert (asked.value.result.lines_replaced, asked.value.result.lines_dropped) == (1, 1)
    # Nothing changed: Monday is still the week's one line, in revision 1.
    assert current_days(placement) == [(MONDAY, Decimal("7.50"))]
    assert Timesheet.objects.get().revision == 1
    assert TimesheetLine.objects.count() == 1


def test_four_single_day_uploads_confirmed_one_by_one_each_name_the_day_they_drop(placement, agency_user):
    timesheet_upload(file=one_day(placement, MONDAY), user=agency_user, ask_before_dropping=True)
    for offset in (1, 2, 3):
        day = MONDAY + timedelta(days=offset)
        with pytest.raises(DropsNeedConfirmation) as asked:
            timesheet_upload(file=one_day(placement, day), user=agency_user, ask_before_dropping=True)

        result = timesheet_upload(
            file=one_day(placement, day), user=agency_user, ask_before_dropping=True, confirmed=asked.value.digest
        )

        previous = day - timedelta(days=1)
        assert [(line.date, line.dropped) for line in result.replaced_lines] == [(previous, True)]
        assert (result.timesheets_revised, result.lines_stored, result.lines_dropped) == (1, 1, 1)
        assert current_days(placement) == [(day, Decimal("7.50"))]
    assert Timesheet.objects.get().revision == 4
    assert TimesheetLine.objects.count() == 4  # the three dropped days are kept in history, superseded


def test_a_confirmation_of_other_days_asks_again(placement, agency_user):
    """What the person confirmed is what is dropped: if the week changed since, they are asked again."""
    timesheet_upload(file=one_day(placement, MONDAY), user=agency_user)
    with pytest.raises(DropsNeedConfirmation) as asked:
        timesheet_upload(
            file=one_day(placement, MONDAY + timedelta(days=2)), user=agency_user, ask_before_dropping=True
        )
    # Meanwhile Tuesday is sent (dropping Monday): the Wednesday file would now drop Tuesday instead.
    timesheet_upload(file=one_day(placement, MONDAY + timedelta(days=1)), user=agency_user)

    with pytest.raises(DropsNeedConfirmation) as asked_again:
        timesheet_upload(
            file=one_day(placement, MONDAY + timedelta(days=2)),
            user=agency_user,
            ask_before_dropping=True,
            confirmed=asked.value.digest,
        )

    assert [line.date for line in asked_again.value.result.replaced_lines] == [MONDAY + timedelta(days=1)]
    assert current_days(placement) == [(MONDAY + timedelta(days=1), Decimal("7.50"))]


def test_a_resubmission_that_drops_no_day_needs_no_confirmation(placement, agency_user):
    timesheet_upload(file=csv_file(rows_for([placement], 2)), user=agency_user)

    result = timesheet_upload(
        file=csv_file(rows_for([placement], 3, hours="8.00")), user=agency_user, ask_before_dropping=True
    )

    assert (result.timesheets_revised, result.lines_stored, result.lines_replaced, result.lines_dropped) == (1, 3, 2, 0)
    assert [(line.date, line.hours, line.dropped) for line in result.replaced_lines] == [
        (MONDAY, Decimal("7.50"), False),
        (MONDAY + timedelta(days=1), Decimal("7.50"), False),
    ]


def test_without_asking_a_resubmission_stores_and_reports_the_dropped_days(placement, agency_user):
    """The API's upload: it stores as it always did, and says what it dropped."""
    timesheet_upload(file=csv_file(rows_for([placement], 3)), user=agency_user)

    result = timesheet_upload(file=one_day(placement, MONDAY + timedelta(days=1), hours="4"), user=agency_user)

    assert [(line.date, line.dropped) for line in result.replaced_lines] == [
        (MONDAY, True),
        (MONDAY + timedelta(days=2), True),
        (MONDAY + timedelta(days=1), False),
    ]
    assert current_days(placement) == [(MONDAY + timedelta(days=1), Decimal("4.00"))]


# --- A formula without a saved value ----------------------------------------------------------------------------------


def test_an_xlsx_formula_without_a_saved_value_is_named_as_such(placement, agency_user):
    # openpyxl writes formulas without the value a spreadsheet program would have saved with them.
    rows = [(placement.pk, datetime(2024, 4, 1), 7.5, 30, 40), (placement.pk, datetime(2024, 4, 2), "=C2*1", 30, 40)]

    rejected = rejection(xlsx_file(rows), agency_user)

    assert rejected.errors == [
        {
            "row": 3,
            "column": "hours",
            "message": "hours is a formula with no saved value (=C2*1): open the file in a spreadsheet program and "
            "save it there, or type the number",
        }
    ]
    assert nothing_stored()


def test_an_empty_xlsx_cell_is_still_missing_beside_a_formula(placement, agency_user):
    rows = [(placement.pk, datetime(2024, 4, 1), "=7.5", 30, 40), (placement.pk, datetime(2024, 4, 2), None, 30, 40)]

    rejected = rejection(xlsx_file(rows), agency_user)

    assert [(error["row"], error["message"][:40]) for error in rejected.errors] == [
        (2, "hours is a formula with no saved value ("),
        (3, "hours is missing"),
    ]
