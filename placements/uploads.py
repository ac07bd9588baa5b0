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

Streaming: the file is read row by row by `futuresocial.uploads.upload_rows` (shared with the workforce-return upload:
the size and row limits, CSV or XLSX told by content), checked in chunks of `CHUNK_ROWS` (one query per chunk finds
the chunk's placements among those the user may see), and good rows go straight into a temporary table
(`LineStaging`), so memory stays bounded however long the file.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from futuresocial.scoping import visible_to
from futuresocial.uploads import UploadLimits, UploadRejected, upload_rows, whole_file
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
MAX_ERRORS_LISTED = 1000
CHUNK_ROWS = 5000


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


def upload_limits() -> UploadLimits:
    """Settings TIMESHEET_UPLOAD_MAX_BYTES and _MAX_ROWS: 100,000 lines is two years of a 200-worker agency's days."""
    return UploadLimits(
        max_bytes=settings.TIMESHEET_UPLOAD_MAX_BYTES,
        max_rows=settings.TIMESHEET_UPLOAD_MAX_ROWS,
        too_large_advice="Split it into several files (whole weeks in each: a week in a file replaces that week's "
        "lines).",
    )


def _header(cells) -> tuple[dict[str, int], tuple[str, ...]]:
    """The position of each needed column, and the names of the ignored ones; or UploadRejected."""
    names = [str(cell).strip().lstrip("\ufeff").lower().replace(" ", "_") if cell is not None else "" for cell in cells]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        separator = "semicolons" if ";" in names[0] else "tabs"
        raise whole_file(f"Columns must be separated by commas; this file uses {separator}.")
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
    with upload_rows(file, limits=upload_limits(), contents="timesheet lines") as (header, rows):
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
                    raise whole_file("The file has a header but no rows of timesheet lines.")
                stored = staging.store(by=user, skip_unchanged=True)
    return UploadResult(
        rows=staging.rows,
        weeks=stored.weeks,
        timesheets_created=stored.timesheets_created,
        timesheets_revised=stored.timesheets_revised,
        lines_stored=stored.lines_stored,
        ignored_columns=ignored,
        timesheets_unchanged=stored.timesheets_unchanged,
    )


def _check_and_stage(numbered, *, columns: dict[str, int], width: int, user, staging: LineStaging, errors: _Errors):
    """Check the rows after the header ((row number, cells), as `upload_rows` gives them), chunk by chunk, and stage the
    good ones. Bad rows go to `errors`; good rows
    are still staged after a bad one, so duplicates among them are reported too (the transaction drops them all)."""
    placement_col, date_col, hours_col = columns["placement"], columns["date"], columns["hours"]
    pay_col, charge_col = columns["pay_rate"], columns["charge_rate"]
    needed = max(columns.values()) + 1
    # Cells are always hashable here (text, numbers, datetimes): call the parsers' caches directly.
    placement_of, date_of, hours_of, rate_of = _placement_id, parse_date.cached, parse_hours.cached, parse_rate.cached
    today = timezone.localdate()  # once per file: no day after it has been worked
    allowed: dict[int, tuple | None] = {}  # placement id -> (start, end), None when not the user's
    refusal = (
        "is not one of your agency's placements"
        if getattr(user, "is_agency", False)
        else "is not one of the placements you may submit timesheets for"
    )
    while chunk := list(islice(numbered, CHUNK_ROWS)):
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
                if dates is not None and (
                    problem := outside_placement(day, starts_on=dates[0], ends_on=dates[1], today=today)
                ):
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
