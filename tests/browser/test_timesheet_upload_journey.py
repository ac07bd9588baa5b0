"""Journey a (SPEC §5, agency portal): an agency user uploads a timesheet file with one bad row, reads the row's
error on the page, corrects the file, uploads it again and finds the week stored on the placement's page."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from placements.models import TimesheetLine
from tests.factories import PlacementFactory, WorkerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

HEADER = "placement,date,hours,pay_rate,charge_rate"
WEEK = [date(2025, 1, 13), date(2025, 1, 14), date(2025, 1, 15), date(2025, 1, 16), date(2025, 1, 17)]


def timesheet_file(placement, hours):
    rows = [f"{placement.pk},{day.isoformat()},{h},27.00,32.00" for day, h in zip(WEEK, hours, strict=True)]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_agency_uploads_a_timesheet_file_corrects_a_bad_row_and_stores_it(journey, tmp_path, agency_user, solihull):
    placement = PlacementFactory(
        agency=agency_user.agency,
        authority=solihull,
        worker=WorkerFactory(swe_number="SW654321"),
        start_date=date(2025, 1, 6),
        pay_rate=Decimal("27.00"),
        charge_rate=Decimal("32.00"),
    )
    # Row 4 of the file (the header is row 1) says 75 hours where 7.5 was meant.
    bad = tmp_path / "week-ending-19-january.csv"
    bad.write_bytes(timesheet_file(placement, ["7.5", "7.5", "75", "7.5", "7.5"]))

    agency = journey.person(agency_user)
    page = agency.page
    expect(page.locator("header .who")).to_contain_text("Alpha Locums Ltd")
    journey.shot(agency, "signed-in")

    page.locator("header nav").get_by_role("link", name="Upload timesheets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file of timesheet lines")
    page.get_by_label("Timesheet file (CSV or Excel .xlsx)").set_input_files(bad)
    journey.shot(agency, "file-chosen")
    page.get_by_role("button", name="Check and upload").click()

    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("The file was not accepted: nothing was stored")
    expect(refusal).to_contain_text("1 problem found")
    error_rows = page.locator("table.row-errors tbody tr")
    expect(error_rows).to_have_count(1)
    expect(error_rows.first.locator("td")).to_have_text(["4", "hours", "hours must be between 0 and 24 (got 75)"])
    journey.shot(agency, "row-error-shown")
    assert not TimesheetLine.objects.exists()  # a file with a bad row stores nothing

    fixed = tmp_path / "week-ending-19-january-corrected.csv"
    fixed.write_bytes(timesheet_file(placement, ["7.5"] * 5))
    page.get_by_label("Timesheet file (CSV or Excel .xlsx)").set_input_files(fixed)
    page.get_by_role("button", name="Check and upload").click()

    stored = page.get_by_role("status")
    expect(stored).to_contain_text("The file was stored")
    expect(stored).to_contain_text("5 rows read; 5 timesheet lines stored in 1 week: 1 new week, 0 resubmitted weeks")
    expect(page.get_by_role("alert")).to_have_count(0)
    journey.shot(agency, "file-stored")

    page.goto(f"/placements/{placement.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("SW654321")
    expect(page.locator("main")).to_contain_text("19 Jan 2025")
    expect(page.locator("main")).to_contain_text("37.50")  # 5 days of 7.5 hours
    journey.shot(agency, "week-on-placement")

    lines = TimesheetLine.objects.filter(timesheet__placement=placement).order_by("date")
    assert [(line.date, line.hours) for line in lines] == [(day, Decimal("7.50")) for day in WEEK]


def test_agency_is_warned_before_a_file_drops_days_and_confirms(journey, tmp_path, agency_user, solihull):
    """Issue 17 (9): a week sent again with fewer days drops the others; the page names them first, nothing is
    stored until the person ticks that they understand, and the warning passes axe's WCAG 2.2 AA checks."""
    from tests.browser.accessibility import check_page

    placement = PlacementFactory(
        agency=agency_user.agency,
        authority=solihull,
        worker=WorkerFactory(swe_number="SW654321"),
        start_date=date(2025, 1, 6),
    )
    monday_tuesday = tmp_path / "monday-tuesday.csv"
    monday_tuesday.write_bytes(
        f"{HEADER}\n{placement.pk},2025-01-13,7.5,27,32\n{placement.pk},2025-01-14,7.5,27,32\n".encode()
    )
    wednesday = tmp_path / "wednesday.csv"
    wednesday.write_bytes(f"{HEADER}\n{placement.pk},2025-01-15,7.5,27,32\n".encode())

    page = journey.person(agency_user).page
    page.goto("/timesheets/upload/")
    page.get_by_label("Timesheet file (CSV or Excel .xlsx)").set_input_files(monday_tuesday)
    page.get_by_role("button", name="Check and upload").click()
    expect(page.get_by_role("status")).to_contain_text("The file was stored")

    page.get_by_label("Timesheet file (CSV or Excel .xlsx)").set_input_files(wednesday)
    page.get_by_role("button", name="Check and upload").click()

    warning = page.locator(".warning-text")
    expect(warning).to_contain_text(
        f"This replaces the week of 13 Jan 2025 for placement No. {placement.pk} (SW654321 at Solihull): "
        "Monday 13 Jan and Tuesday 14 Jan, 15 hours in all, are not in the file and will be dropped."
    )
    assert check_page(page) == []
    assert [line.date for line in TimesheetLine.objects.current()] == [date(2025, 1, 13), date(2025, 1, 14)]

    page.get_by_role("button", name="Store the file and drop these days").click()  # without ticking
    expect(page.locator(".error-summary")).to_contain_text("Tick the box to confirm")
    expect(page.locator(".error-summary")).to_be_focused()
    assert check_page(page) == []

    page.get_by_label("I understand these days will be dropped from their weeks").check()
    page.get_by_role("button", name="Store the file and drop these days").click()
    stored = page.get_by_role("status")
    expect(stored).to_contain_text("The file was stored")
    expect(stored).to_contain_text(
        f"Dropped from the week of 13 Jan 2025 for placement No. {placement.pk} (SW654321 at Solihull): "
        "Monday 13 Jan and Tuesday 14 Jan, 15 hours in all."
    )
    assert [line.date for line in TimesheetLine.objects.current()] == [date(2025, 1, 15)]
