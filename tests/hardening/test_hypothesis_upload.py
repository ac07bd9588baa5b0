"""Property-based tests (hypothesis) of the timesheet parser and upload: any input is either stored exactly as sent or
refused with a message naming the row, never an exception or a 500 (SPEC §6: bad input gets a clear error and changes
nothing). Bounded and derandomised so CI sees the same examples every run; `-s` prints how many each tried."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from rest_framework.test import APIClient

from placements.models import TimesheetLine
from placements.timesheets import HOURS_MAX, RATE_MAX, InvalidValue, parse_date, parse_hours, parse_rate
from placements.uploads import UploadRejected, timesheet_upload
from tests.factories import PlacementFactory

START = date(2024, 1, 1)
END = date(2024, 12, 31)


def bounded(examples, **extra):
    """CI-stable: the same examples each run, no example database, no deadline (a shared 2-core machine)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        **extra,
    )


class Tried:
    """Counts the examples a property ran, for the note."""

    def __init__(self, name):
        self.name, self.count = name, 0

    def __call__(self):
        self.count += 1

    def report(self):
        print(f"\nHYPOTHESIS {self.name}: {self.count} examples")


# --- The value parsers (no database) ----------------------------------------------------------------------------------

ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.from_regex(r"-?£?\s?\d{0,6}(\.\d{0,4})?([eE]\d)?", fullmatch=True),
    st.lists(st.integers(), max_size=2),
)


def two_places(value: Decimal) -> bool:
    return value == value.quantize(Decimal("0.01"))


@bounded(1000)
@given(ANY_CELL)
def test_hours_are_a_decimal_from_0_to_24_in_pennies_or_refused_with_a_message(cell):
    try:
        hours = parse_hours(cell)
    except InvalidValue as refusal:
        assert refusal.message.startswith("hours ")
        return
    assert isinstance(hours, Decimal) and 0 <= hours <= HOURS_MAX and two_places(hours)


@bounded(1000)
@given(ANY_CELL, st.sampled_from(["pay_rate", "charge_rate"]))
def test_rates_are_a_decimal_from_0_to_the_column_maximum_or_refused_with_a_message(cell, field):
    try:
        rate = parse_rate(cell, field)
    except InvalidValue as refusal:
        assert refusal.message.startswith(f"{field} ")
        return
    assert isinstance(rate, Decimal) and 0 <= rate <= RATE_MAX and two_places(rate)


@bounded(1000)
@given(ANY_CELL)
def test_a_date_is_a_day_or_refused_with_a_message(cell):
    try:
        day = parse_date(cell)
    except InvalidValue as refusal:
        assert refusal.message.startswith("date ")
        return
    assert type(day) is date


AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
HOURS = st.decimals(min_value=0, max_value=24, places=2)


@bounded(500)
@given(HOURS, AMOUNTS, st.sampled_from(["{}", "{:f}", " {} ", "£{}", "£ {}"]))
def test_hours_and_rates_written_any_accepted_way_read_back_exactly(hours, rate, shape):
    assert parse_hours(str(hours)) == hours
    assert parse_hours(float(hours)) == hours  # a spreadsheet's number cell
    assert parse_rate(shape.format(rate)) == rate
    assert parse_rate(float(rate)) == rate


@bounded(300)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_dates_written_either_way_read_back_exactly(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year}") == day
    assert parse_date(datetime(day.year, day.month, day.day)) == day


# --- Whole files, stored or refused (the database) --------------------------------------------------------------------


@pytest.fixture
def placement(agency_a):
    return PlacementFactory(agency=agency_a, start_date=START, end_date=END)


LINE = st.tuples(
    st.integers(min_value=0, max_value=(END - START).days),
    HOURS,
    st.decimals(min_value=0, max_value=Decimal("999.99"), places=2),
    st.decimals(min_value=0, max_value=Decimal("999.99"), places=2),
)
# Up to 30 lines on distinct days (one line per day), in any order.
LINES = st.lists(LINE, min_size=1, max_size=30, unique_by=lambda line: line[0])
COLUMN_ORDERS = st.permutations(["placement", "date", "hours", "pay_rate", "charge_rate", "notes"])


def stored_lines():
    return sorted(
        TimesheetLine.objects.filter(superseded_at=None).values_list("date", "hours", "pay_rate", "charge_rate")
    )


def expected(lines):
    return sorted((START + timedelta(days=offset), hours, pay, charge) for offset, hours, pay, charge in lines)


def rolled_back(check):
    """Run `check` in a transaction that is always rolled back: every example starts from the same database."""
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


def csv_bytes(placement, lines, columns, date_style):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for offset, hours, pay, charge in lines:
        day = START + timedelta(days=offset)
        values = {
            "placement": placement.pk,
            "date": day.isoformat() if date_style == "iso" else day.strftime("%d/%m/%Y"),
            "hours": hours,
            "pay_rate": pay,
            "charge_rate": f"£{charge}",
            "notes": "worked, as agreed",
        }
        writer.writerow([values[column] for column in columns])
    return out.getvalue().encode()


@pytest.mark.django_db
def test_any_good_csv_is_stored_exactly_as_sent(placement, agency_user):
    tried = Tried("good CSV stored exactly")

    @bounded(40)
    @given(LINES, COLUMN_ORDERS, st.sampled_from(["iso", "uk"]))
    def check(lines, columns, date_style):
        tried()

        def upload():
            data = csv_bytes(placement, lines, columns, date_style)
            result = timesheet_upload(file=SimpleUploadedFile("lines.csv", data), user=agency_user)
            assert (result.rows, result.lines_stored, result.ignored_columns) == (len(lines), len(lines), ("notes",))
            assert stored_lines() == expected(lines)

        rolled_back(upload)

    check()
    tried.report()
    assert tried.count == 40


@pytest.mark.django_db
def test_any_good_xlsx_is_stored_exactly_as_sent(placement, agency_user):
    tried = Tried("good XLSX stored exactly")

    @bounded(25)
    @given(LINES, st.sampled_from(["numbers", "text"]))
    def check(lines, cells):
        tried()
        book = Workbook()
        sheet = book.active
        sheet.append(["Placement", "Date", "Hours", "Pay rate", "Charge rate"])
        for offset, hours, pay, charge in lines:
            day = datetime.combine(START + timedelta(days=offset), datetime.min.time())
            if cells == "numbers":  # as a spreadsheet holds them: floats and a date cell
                sheet.append([placement.pk, day, float(hours), float(pay), float(charge)])
            else:
                sheet.append([str(placement.pk), f"{day:%d/%m/%Y}", str(hours), str(pay), str(charge)])
        buffer = io.BytesIO()
        book.save(buffer)

        def upload():
            result = timesheet_upload(file=SimpleUploadedFile("lines.xlsx", buffer.getvalue()), user=agency_user)
            assert result.lines_stored == len(lines)
            assert stored_lines() == expected(lines)

        rolled_back(upload)

    check()
    tried.report()
    assert tried.count == 25


# Cells a person might type, or a tool might write, in a timesheet file.
MESSY_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "7.5", "24.01", "-1", "1e3", "NaN", "£30.00", "30,00", "2024-02-30", "31/12/2024", "0"]),
    st.integers(min_value=-5, max_value=10**6).map(str),
    st.decimals(min_value=-100, max_value=100_000, places=3).map(str),
)
# Rows that are all good, all messy, or a mixture (a good row is written from a LINE).
MESSY_ROWS = st.lists(
    st.one_of(st.lists(MESSY_CELL, min_size=0, max_size=7), LINE.map(lambda line: ("good", *line))),
    min_size=0,
    max_size=12,
)


@pytest.mark.django_db
def test_any_messy_csv_is_stored_or_refused_row_by_row_and_never_half_stored(placement, agency_user):
    tried, outcomes = Tried("messy CSV stored or refused"), {"stored": 0, "refused": 0}

    @bounded(200)
    @given(MESSY_ROWS, st.booleans(), st.booleans())
    def check(rows, real_header, real_placement):
        tried()
        out = io.StringIO()
        writer = csv.writer(out)
        if real_header:
            writer.writerow(["placement", "date", "hours", "pay_rate", "charge_rate"])
        for row in rows:
            if row and row[0] == "good":
                _good, offset, hours, pay, charge = row
                writer.writerow([placement.pk, START + timedelta(days=offset), hours, pay, charge])
            else:
                writer.writerow([placement.pk, *row[1:]] if real_placement and row else row)

        def upload():
            before = stored_lines()
            try:
                result = timesheet_upload(file=SimpleUploadedFile("f.csv", out.getvalue().encode()), user=agency_user)
            except UploadRejected as refusal:
                outcomes["refused"] += 1
                assert refusal.errors and all(error["message"] for error in refusal.errors)
                assert all(error["row"] is None or error["row"] >= 1 for error in refusal.errors)
                assert stored_lines() == before  # nothing half-stored
                return
            outcomes["stored"] += 1
            assert len(stored_lines()) == result.lines_stored > 0

        rolled_back(upload)

    check()
    tried.report()
    print(f"  stored {outcomes['stored']}, refused {outcomes['refused']}")
    assert tried.count == 200 and outcomes["refused"] > 0 and outcomes["stored"] > 0


@pytest.mark.django_db
def test_any_bytes_uploaded_through_the_api_get_a_201_or_a_400_with_a_message(placement, agency_user):
    tried = Tried("arbitrary bytes through the API")
    api = APIClient()
    api.force_authenticate(agency_user)
    header = b"placement,date,hours,pay_rate,charge_rate\r\n"

    @bounded(150)
    @given(
        st.one_of(
            st.binary(max_size=600),
            st.binary(max_size=300).map(lambda tail: header + tail),
            st.binary(max_size=300).map(lambda tail: b"PK\x03\x04" + tail),
            st.text(max_size=300).map(lambda text: header + text.encode("utf-8", "surrogatepass")),
        ),
        st.sampled_from(["lines.csv", "lines.xlsx", "lines.txt", "photo.png"]),
    )
    def check(data, name):
        tried()

        def upload():
            before = stored_lines()
            response = api.post("/api/v1/timesheets/upload/", {"file": SimpleUploadedFile(name, data)})
            assert response.status_code in (201, 400), response.content
            body = response.json()
            if response.status_code == 400:
                assert body.get("file") or body.get("rows"), body
                assert stored_lines() == before

        rolled_back(upload)

    check()
    tried.report()
    assert tried.count == 150
