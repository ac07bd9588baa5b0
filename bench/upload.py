"""Benchmark: timesheet upload through `placements.uploads.timesheet_upload`, the code the API and the portal call.

    .venv/bin/python bench/upload.py [--rows 100000] [--xlsx-rows 10000] [--placements 2000]

Works in a database of its own, `bench_upload` (created, migrated and dropped here, on the embedded server or on
DATABASE_URL's server; `bench/common.py`); never touches the dev database. Prints rows/s and memory for:

- a CSV of --rows lines (every week new: timesheets created), then a file of the same days with other hours (every
  week revised), then that file again (every week unchanged: nothing stored);
- peak Python memory of the upload (tracemalloc) at a tenth of the rows and at all of them: streaming means the
  peak stays flat as the file grows, where reading the file into objects would grow tenfold;
- an XLSX of --xlsx-rows lines.

Figures only: nothing is asserted. The audit that a submission queues is not run (its task is not called).
"""

import argparse
import csv
import resource
import tempfile
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from common import Stopwatch, drop_databases, recreate_database, server_url, setup_django, with_database

BENCH_DB = "bench_upload"
FIRST_MONDAY = date(2024, 1, 1)


def working_days(count):
    return [FIRST_MONDAY + timedelta(weeks=n // 5, days=n % 5) for n in range(count)]


def build_placements(count):
    """`count` placements of one agency from 1 January 2024, and that agency's user."""
    from accounts.models import User
    from agencies.models import Agency
    from mou.models import Role
    from placements.models import Placement, Worker
    from region.models import Authority

    agency = Agency.objects.create(name="Bench Locums Ltd", company_number="99999999")
    user = User.objects.create(username="bench", role=User.Role.AGENCY, agency=agency)
    authority, role = Authority.objects.first(), Role.objects.get(code="SW")
    workers = Worker.objects.bulk_create(Worker(swe_number=f"SW{900000 + n}") for n in range(count))
    placements = Placement.objects.bulk_create(
        Placement(
            agency=agency,
            authority=authority,
            role=role,
            worker=worker,
            engagement_type="paye",
            start_date=FIRST_MONDAY,
            pay_rate=Decimal("32.00"),
            charge_rate=Decimal("42.00"),
        )
        for worker in workers
    )
    return [placement.pk for placement in placements], user


def write_csv(path, placement_ids, rows, hours_pair=("7.50", "8.25")):
    days = working_days(-(-rows // len(placement_ids)))
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["placement", "date", "hours", "pay_rate", "charge_rate"])
        written = 0
        for day in days:  # day by day across placements, as an agency's payroll export runs
            for placement_id in placement_ids:
                if written == rows:
                    return
                hours = hours_pair[0] if written % 11 else hours_pair[1]
                writer.writerow([placement_id, day.isoformat(), hours, "32.00", "42.00"])
                written += 1


def write_xlsx(path, placement_ids, rows):
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Placement", "Date", "Hours", "Pay rate", "Charge rate"])
    written = 0
    for day in working_days(-(-rows // len(placement_ids))):
        for placement_id in placement_ids:
            if written == rows:
                break
            sheet.append([placement_id, datetime(day.year, day.month, day.day), 7.5, 32.0, 42.0])
            written += 1
    workbook.save(path)


def upload(path, user, *, trace=False):
    """Upload the file; (seconds, result, tracemalloc peak in bytes or None)."""
    from django.core.files import File

    from placements.uploads import timesheet_upload

    if trace:
        tracemalloc.start()
    with Stopwatch() as watch, open(path, "rb") as handle:
        result = timesheet_upload(file=File(handle, name=Path(path).name), user=user)
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return watch.seconds, result, peak


def reset_peak_rss() -> bool:
    """Reset the process's peak resident set size (Linux), so the next reading is the upload's own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mb(field):
    """VmRSS (now) or VmHWM (peak) of this process in MB, from /proc; ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx-rows", type=int, default=10_000)
    parser.add_argument("--placements", type=int, default=2_000)
    options = parser.parse_args()

    url = server_url()
    print(f"creating and migrating database {BENCH_DB} ...", flush=True)
    recreate_database(url, BENCH_DB)
    setup_django(with_database(url, BENCH_DB))
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    import compliance.tasks

    # Submissions queue an audit after commit; this database is thrown away, so nothing is sent to a worker.
    compliance.tasks.run_audit.delay = lambda run_id: None
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 200 * 1024 * 1024  # the bench may go beyond the default 10 MB

    try:
        call_command("migrate", verbosity=0)
        run(options)
    finally:
        connection.close()
        drop_databases(url, BENCH_DB)
        print(f"dropped database {BENCH_DB}")


def run(options):
    from placements.models import Timesheet, TimesheetLine

    placement_ids, user = build_placements(options.placements)
    xlsx_ids = placement_ids[: options.placements // 2]
    csv_ids = placement_ids[options.placements // 2 :] if options.xlsx_rows else placement_ids
    workdir = Path(tempfile.mkdtemp(prefix="bench_upload_"))
    big, small, book = workdir / "lines.csv", workdir / "tenth.csv", workdir / "lines.xlsx"
    changed = workdir / "changed.csv"
    write_csv(big, csv_ids, options.rows)
    write_csv(changed, csv_ids, options.rows, hours_pair=("7.00", "8.00"))
    write_csv(small, csv_ids, options.rows // 10)
    size_mb = big.stat().st_size / 1_048_576
    print(f"{options.rows:,} CSV rows ({size_mb:.1f} MB) over {len(csv_ids):,} placements of one agency")

    rss_before, peak_reset = rss_mb("VmRSS"), reset_peak_rss()
    seconds, result, _ = upload(big, user)
    rss_peak = rss_mb("VmHWM")
    print(
        f"CSV, new weeks:      {result.rows:>9,} rows in {seconds:6.2f} s = {result.rows / seconds:>9,.0f} rows/s "
        f"({result.timesheets_created:,} timesheets created, {result.lines_stored:,} lines)"
    )
    seconds, result, _ = upload(changed, user)
    print(
        f"CSV, revised weeks:  {result.rows:>9,} rows in {seconds:6.2f} s = {result.rows / seconds:>9,.0f} rows/s "
        f"({result.timesheets_revised:,} timesheets revised, previous lines superseded)"
    )
    seconds, result, _ = upload(changed, user)
    print(
        f"CSV, unchanged weeks:{result.rows:>9,} rows in {seconds:6.2f} s = {result.rows / seconds:>9,.0f} rows/s "
        f"({result.timesheets_unchanged:,} weeks unchanged, {result.lines_stored:,} lines stored)"
    )
    peak = "peak during it" if peak_reset else "peak of the process so far"
    print(f"resident memory: {rss_before:.1f} MB before the first upload, {rss_peak:.1f} MB {peak}")

    _, small_result, small_peak = upload(small, user, trace=True)
    _, big_result, big_peak = upload(big, user, trace=True)
    print(
        f"tracemalloc peak during the upload: {small_peak / 1_048_576:.1f} MB for {small_result.rows:,} rows, "
        f"{big_peak / 1_048_576:.1f} MB for {big_result.rows:,} rows"
    )

    if options.xlsx_rows:
        write_xlsx(book, xlsx_ids, options.xlsx_rows)
        seconds, result, _ = upload(book, user)
        _, _, peak = upload(book, user, trace=True)
        print(
            f"XLSX, new weeks:     {result.rows:>9,} rows in {seconds:6.2f} s = {result.rows / seconds:>9,.0f} rows/s "
            f"({book.stat().st_size / 1_048_576:.1f} MB; tracemalloc peak {peak / 1_048_576:.1f} MB)"
        )
    print(f"stored in all: {Timesheet.objects.count():,} timesheets, {TimesheetLine.objects.count():,} lines")
    for path in (big, changed, small, book):
        path.unlink(missing_ok=True)
    workdir.rmdir()


if __name__ == "__main__":
    main()
