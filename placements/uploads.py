"""Upload of timesheet lines as a CSV or XLSX file: every row is checked before any is stored.

The file has a header row naming (in any order, any case; "Pay rate" reads as pay_rate) the columns `placement`
(the placement's id), `date`, `hours`, `pay_rate`, `charge_rate`. Other columns (notes, a worker's name) are ignored
and reported as ignored; a column named twice is refused. Blank rows are skipped. An XLSX file is read from its
first sheet. A CSV file is UTF-8 (with or without the byte-order mark Excel writes), comma-separated.

Each line belongs to the week (Monday to Sunday) of its date. **A week that appears in the file replaces that
week's lines entirely**: the timesheet gets a new revision holding exactly the file's lines for it, and the lines it
had before stay in history, superseded. Weeks not in the file are untouched. A week whose lines in the file are
exactly its current lines is left as it is (no new revision), so the same file sent again, or twice at once, stores
nothing more.

All or nothing: a file with any bad row stores nothing and every bad row is named (row numbers as a spreadsheet shows
them, the header being row 1; up to `MAX_ERRORS_LISTED`, with a count of the rest).

Streaming: the file is read row by row (csv over a text wrapper; openpyxl's read-only mode), checked in chunks of
`CHUNK_ROWS` (one query per chunk finds the chunk's placements among those the user may see), and good rows go
straight into a temporary table (`LineStaging`), so memory stays bounded however long the file.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from futuresocial.scoping import visible_to
from placements.models import Placement
from placements.timesheets import (
    InvalidValue,
    LineStaging,
    duplicate_date_message,
    outside_placement,
    parse_date,
    parse_hours,
    parse_rate,
    week_ending_of,
)

COLUMNS = ("placement", "date", "hours", "pay_rate", "charge_rate")
# The bounds (settings TIMESHEET_UPLOAD_MAX_BYTES and _MAX_ROWS): 100,000 lines is two years of a 200-worker agency's
# days. The row limit also bounds an XLSX, whose zip can unpack to far more than its size.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
MAX_ERRORS_LISTED = 1000
CHUNK_ROWS = 5000

XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 Excel format (OLE compound file)
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class UploadResult:
    """What an accepted upload stored."""

    rows: int  # rows of lines read (the header and blank rows not counted)
    weeks: int  # distinct (placement, week) in the file = timesheets created + revised + unchanged
    timesheets_created: int
    timesheets_revised: int
    lines_stored: int
    ignored_columns: tuple[str, ...] = field(default=())
    timesheets_unchanged: int = 0  # weeks whose lines in the file were already their current lines: nothing stored

    @property
    def weeks_stored(self) -> int:
        return self.timesheets_created + self.timesheets_revised


class UploadRejected(ValidationError):
    """An upload refused as a whole: nothing was stored.

    `errors` lists up to `MAX_ERRORS_LISTED` problems in row order, each {"row": n, "column": name or None,
    "message": ...} (row 1 is the header; `row` is None for a problem with the whole file); `more` counts the problems
    not listed. As a ValidationError its messages are "row 501, hours: hours must be between 0 and 24 (got 25)".
    """

    def __init__(self, errors: list[dict], *, more: int = 0):
        self.errors = errors
        self.more = more
        messages = [_describe(error) for error in errors]
        if more:
            messages.append(f"and {more} more problems")
        super().__init__({"file": messages})


def _describe(error: dict) -> str:
    where = [f"row {error['row']}"] if error.get("row") else []
    if error.get("column"):
        where.append(error["column"])
    return f"{', '.join(where)}: {error['message']}" if where else error["message"]


def _whole_file(message: str) -> UploadRejected:
    return UploadRejected([{"row": None, "column": None, "message": message}])


class _Errors:
    """Every problem found, keeping the first `MAX_ERRORS_LISTED` and counting the rest."""

    def __init__(self):
        self.listed: list[dict] = []
        self.total = 0

    def add(self, row: int, column: str | None, message: str):
        self.total += 1
        if len(self.listed) < MAX_ERRORS_LISTED:
            self.listed.append({"row": row, "column": column, "message": message})

    def merge(self, errors: list[dict], *, total: int):
        """Add problems found apart (duplicates, found in SQL after the rows): the listed ones stay the first
        `MAX_ERRORS_LISTED` by row number."""
        self.total += total
        self.listed = sorted(self.listed + errors, key=lambda error: error["row"])[:MAX_ERRORS_LISTED]

    def rejection(self) -> UploadRejected:
        return UploadRejected(self.listed, more=self.total - len(self.listed))


# --- Reading the file -------------------------------------------------------------------------------------------------


def _max_bytes() -> int:
    return getattr(settings, "TIMESHEET_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def _max_rows() -> int:
    return getattr(settings, "TIMESHEET_UPLOAD_MAX_ROWS", DEFAULT_MAX_ROWS)


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    return size


def _sniff(file) -> str:
    """ "xlsx" or "csv" from the file's first bytes, whatever its name says; or UploadRejected."""
    file.seek(0)
    head = file.read(4096)
    file.seek(0)
    if isinstance(head, str):
        raise TypeError("timesheet_upload needs a file opened in binary mode")
    if not head:
        raise _whole_file("The file is empty.")
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        raise _whole_file("This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) or as CSV UTF-8.")
    if b"\x00" in head:
        raise _whole_file("The file is neither CSV nor XLSX: upload a CSV (UTF-8) or an Excel workbook (.xlsx).")
    if head.startswith(PDF_MAGIC):  # a PDF whose first bytes happen to be text would otherwise read as a CSV
        raise _whole_file("This is a PDF: upload the timesheet lines as a CSV (UTF-8) or an Excel workbook (.xlsx).")
    return "csv"


def _csv_rows(file) -> Iterator[tuple]:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        yield from reader
    except UnicodeDecodeError:
        # Text is decoded a block at a time: the row is where the block starts, near the bad byte.
        raise _whole_file(
            f"The file is not UTF-8 text (near row {reader.line_num + 1}): save it from the spreadsheet as "
            "“CSV UTF-8”, or upload the .xlsx workbook."
        ) from None
    except csv.Error as error:
        message = f"the CSV cannot be read here: {error}"
        raise UploadRejected([{"row": reader.line_num, "column": None, "message": message}]) from None
    finally:
        text.detach()  # leave the caller's file open


def _xlsx_rows(file) -> Iterator[tuple]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # read_only streams the sheet's XML; data_only gives formulas' last computed values, not "=B2*7.5".
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise _whole_file("The file is a zip archive but not an Excel workbook (.xlsx) that can be read.") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # trust the rows, not the sheet's stated size, which some tools get wrong
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _header(cells) -> tuple[dict[str, int], tuple[str, ...]]:
    """The position of each needed column, and the names of the ignored ones; or UploadRejected."""
    names = [str(cell).strip().lstrip("\ufeff").lower().replace(" ", "_") if cell is not None else "" for cell in cells]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        separator = "semicolons" if ";" in names[0] else "tabs"
        raise _whole_file(f"Columns must be separated by commas; this file uses {separator}.")
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in positions:
            raise UploadRejected([{"row": 1, "column": name, "message": f"the column {name} is named twice"}])
        if name:
            positions[name] = position
    missing = [name for name in COLUMNS if name not in positions]
    if missing:
        found = ", ".join(str(cell) for cell in cells if cell not in (None, "")) or "nothing"
        message = (
            f"the first row must name the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)} "
            f"(the first row has: {found})"
        )
        raise UploadRejected([{"row": 1, "column": None, "message": message}])
    ignored = tuple(name for name in positions if name not in COLUMNS)
    return {name: positions[name] for name in COLUMNS}, ignored


def _blank(cells) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


@lru_cache(maxsize=65536, typed=True)
def _placement_id(value) -> int:
    return parse_placement_id(value)


def parse_placement_id(value) -> int:
    """A placement's id as the file gives it: 123, "123" or a spreadsheet's 123.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    text = str(value).strip() if value is not None else ""
    if not text:
        raise InvalidValue("placement is missing")
    if text.isdigit() and 0 < int(text) < 2**63:
        return int(text)
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    raise InvalidValue(f"placement must be a placement number such as 1234 (got {shown})")


# --- The upload -------------------------------------------------------------------------------------------------------


def timesheet_upload(*, file, user) -> UploadResult:
    """Check every row of an uploaded CSV or XLSX file of timesheet lines and, if all are good, store them.

    `file` is a binary file (an `UploadedFile`, or anything with read/seek); `user` the uploader: each row's
    placement must be one `user` may see (`visible_to`). Lines are grouped into weeks ending on Sunday and stored in
    one transaction through `LineStaging.store` (as a week's form is, by `timesheets_store`): each week in the file
    becomes that timesheet's new revision, the lines it replaces stay in history, and an audit is queued for after
    the commit; a week whose lines are exactly its current lines stores nothing (decided under a lock on its
    placement, so the same file sent twice at once is stored once), nor does a file of only such weeks queue an
    audit. Returns an `UploadResult`; raises `UploadRejected` (storing nothing) for a file too large or of
    another type, a missing header, or any bad row, listing each bad row's number, column and reason.

    Whether `user` may upload at all (an agency user; SPEC §7 `timesheets/`) is the caller's permission to check.
    """
    limit = _max_bytes()
    size = _size(file)
    if size > limit:
        raise _whole_file(
            f"The file is {size / 1_048_576:.1f} MB; the largest accepted is {limit / 1_048_576:.0f} MB. "
            "Split it into several files (whole weeks in each: a week in a file replaces that week's lines)."
        )
    kind = _sniff(file)
    rows = _xlsx_rows(file) if kind == "xlsx" else _csv_rows(file)
    try:
        header = next(rows, None)
        if header is None:
            raise _whole_file("The file is empty.")
        columns, ignored = _header(header)
        with transaction.atomic():
            with LineStaging() as staging:
                errors = _Errors()
                _check_and_stage(rows, columns=columns, width=len(header), user=user, staging=staging, errors=errors)
                duplicates, duplicates_total = staging.duplicates(limit=MAX_ERRORS_LISTED)
                errors.merge(
                    [
                        {
                            "row": row,
                            "column": "date",
                            "message": f"placement {placement_id}: "
                            + duplicate_date_message(day, first=first_row, where="row"),
                        }
                        for row, placement_id, day, first_row in duplicates
                    ],
                    total=duplicates_total,
                )
                if errors.total:
                    raise errors.rejection()
                if staging.rows == 0:
                    raise _whole_file("The file has a header but no rows of timesheet lines.")
                stored = staging.store(by=user, skip_unchanged=True)
    finally:
        rows.close()  # the generators close the workbook and detach the text wrapper
    return UploadResult(
        rows=staging.rows,
        weeks=stored.weeks,
        timesheets_created=stored.timesheets_created,
        timesheets_revised=stored.timesheets_revised,
        lines_stored=stored.lines_stored,
        ignored_columns=ignored,
        timesheets_unchanged=stored.timesheets_unchanged,
    )


def _check_and_stage(rows, *, columns: dict[str, int], width: int, user, staging: LineStaging, errors: _Errors):
    """Check the rows after the header, chunk by chunk, and stage the good ones. Bad rows go to `errors`; good rows
    are still staged after a bad one, so duplicates among them are reported too (the transaction drops them all)."""
    placement_col, date_col, hours_col = columns["placement"], columns["date"], columns["hours"]
    pay_col, charge_col = columns["pay_rate"], columns["charge_rate"]
    needed = max(columns.values()) + 1
    # Cells are always hashable here (text, numbers, datetimes): call the parsers' caches directly.
    placement_of, date_of, hours_of, rate_of = _placement_id, parse_date.cached, parse_hours.cached, parse_rate.cached
    allowed: dict[int, tuple | None] = {}  # placement id -> (start, end), None when not the user's
    refusal = (
        "is not one of your agency's placements"
        if getattr(user, "is_agency", False)
        else "is not one of the placements you may submit timesheets for"
    )
    max_rows = _max_rows()
    numbered = enumerate(rows, start=2)
    while chunk := list(islice(numbered, CHUNK_ROWS)):
        if chunk[-1][0] > max_rows + 1:
            raise _whole_file(f"The file has more than {max_rows:,} rows: split it into several files.")
        checked = []  # (row, cells, placement id or the InvalidValue)
        for row, cells in chunk:
            if len(cells) < needed:
                cells = tuple(cells) + (None,) * (needed - len(cells))
            first = cells[placement_col]
            if (first is None or (isinstance(first, str) and not first.strip())) and _blank(cells):
                continue  # a blank row (spreadsheets leave them); its number still counts
            if len(cells) > width and not _blank(cells[width:]):
                errors.add(row, None, f"the row has values beyond the {width} columns the header names")
                continue
            try:
                checked.append((row, cells, placement_of(first)))
            except InvalidValue as error:
                checked.append((row, cells, error))
        unknown = {placement for _row, _cells, placement in checked if type(placement) is int}.difference(allowed)
        if unknown:
            # One query per chunk: which of these placements the uploader may see, with their dates. Not saying
            # whether the others exist keeps other agencies' placements private.
            allowed.update(dict.fromkeys(unknown))
            found = visible_to(Placement.objects.filter(pk__in=unknown), user).values_list(
                "pk", "start_date", "end_date"
            )
            allowed.update((pk, (start, end)) for pk, start, end in found)
        good = []
        for row, cells, placement_id in checked:
            bad = False
            if type(placement_id) is int:
                dates = allowed[placement_id]
                if dates is None:
                    bad = True
                    errors.add(row, "placement", f"placement {placement_id} {refusal}")
            else:
                bad, dates = True, None
                errors.add(row, "placement", placement_id.message)
            try:
                day = date_of(cells[date_col])
                if dates is not None and (problem := outside_placement(day, starts_on=dates[0], ends_on=dates[1])):
                    bad = True
                    errors.add(row, "date", problem)
            except InvalidValue as error:
                bad = True
                errors.add(row, "date", error.message)
            try:
                hours = hours_of(cells[hours_col])
            except InvalidValue as error:
                bad = True
                errors.add(row, "hours", error.message)
            try:
                pay_rate = rate_of(cells[pay_col], "pay_rate")
            except InvalidValue as error:
                bad = True
                errors.add(row, "pay_rate", error.message)
            try:
                charge_rate = rate_of(cells[charge_col], "charge_rate")
            except InvalidValue as error:
                bad = True
                errors.add(row, "charge_rate", error.message)
            if not bad:
                good.append((row, placement_id, week_ending_of(day), day, hours, pay_rate, charge_rate))
        if good:
            staging.add(good)
