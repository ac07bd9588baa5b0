"""Upload of timesheet lines as a CSV or XLSX file: every row is checked before any is stored.

The file has a header row naming (in any order, any case; "Pay rate" reads as pay_rate) the columns `placement`
(the placement's number), `date`, `hours`, `pay_rate`, `charge_rate`. Instead of the placement's number a row may
name the worker's Social Work England registration number and the council (`swe_number` and `authority`: its name or
its ONS or DfE code): the placement is then the uploader's one of that worker at that council running on the row's
date, and a row that fits none, or more than one, is refused naming what there is. A row giving the number and
those too must agree with it. Other columns (notes, a worker's name) are ignored and reported as ignored; a column
named twice is refused. Blank rows are skipped. An XLSX file is read from its
first sheet. A CSV file is UTF-8 (with or without the byte-order mark Excel writes), comma-separated.

Each line belongs to the week (Monday to Sunday) of its date. **A week that appears in the file replaces that
week's lines entirely**: the timesheet gets a new revision holding exactly the file's lines for it, and the lines it
had before stay in history, superseded. Weeks not in the file are untouched. A week whose lines in the file are
exactly its current lines is left as it is (no new revision), so the same file sent again, or twice at once, stores
nothing more.

**A week sent with fewer days drops the others.** Four single-day files of one week leave only the last day current.
So the upload says which lines it replaced (`UploadResult.replaced_lines`, `dropped` on the days no longer in their
week), and with `ask_before_dropping` (the portal's page) a file that would drop days stores nothing and raises
`DropsNeedConfirmation` naming them, until it is sent again `confirmed` with the digest of exactly those lines.

All or nothing: a file with any bad row stores nothing and every bad row is named (row numbers as a spreadsheet shows
them, the header being row 1; up to `MAX_ERRORS_LISTED`, with a count of the rest).

Streaming: the file is read row by row by `futuresocial.uploads.upload_rows` (shared with the workforce-return upload:
the size and row limits, CSV or XLSX told by content), checked in chunks of `CHUNK_ROWS` (one query per chunk finds
the chunk's placements among those the user may see), and good rows go straight into a temporary table
(`LineStaging`), so memory stays bounded however long the file.
"""

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from futuresocial.scoping import visible_to
from futuresocial.uploads import (
    FormulaWithoutValue,
    UploadLimits,
    UploadRejected,
    formula_message,
    upload_rows,
    whole_file,
)
from placements.models import Placement
from placements.timesheets import (
    InvalidValue,
    LineStaging,
    ReplacedLine,
    duplicate_date_message,
    outside_placement,
    parse_date,
    parse_hours,
    parse_rate,
    week_ending_of,
)
from region.models import Authority

COLUMNS = ("placement", "date", "hours", "pay_rate", "charge_rate")
# What names the placement: its number, or the worker's registration number and the council (either, or both).
BY_WORKER = ("swe_number", "authority")
HEADER_ALIASES = {
    "registration_number": "swe_number",
    "swe_registration_number": "swe_number",
    "social_work_england_number": "swe_number",
    "council": "authority",
    "placement_number": "placement",
}
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
    # The lines the revised weeks had before (up to REPLACED_LINES_LISTED, the dropped days first), how many in all,
    # and how many of them are on days the file does not have (dropped from their week).
    replaced_lines: tuple[ReplacedLine, ...] = ()
    lines_replaced: int = 0
    lines_dropped: int = 0

    @property
    def weeks_stored(self) -> int:
        return self.timesheets_created + self.timesheets_revised

    @property
    def dropped_lines(self) -> tuple[ReplacedLine, ...]:
        return tuple(line for line in self.replaced_lines if line.dropped)

    @property
    def drops_digest(self) -> str:
        """What a person confirms: these dropped lines (by id: another submission in between makes others)."""
        ids = ",".join(str(line.id) for line in sorted(self.dropped_lines, key=lambda line: line.id))
        return hashlib.sha256(f"{self.lines_dropped}:{ids}".encode()).hexdigest()[:32]


class DropsNeedConfirmation(Exception):
    """The upload would drop days from weeks already submitted and was not confirmed for exactly those: nothing was
    stored. `result` is what it would have stored (its `dropped_lines` the days); `digest` confirms them."""

    def __init__(self, result: UploadResult):
        super().__init__(f"the file drops {result.lines_dropped} days from weeks already submitted")
        self.result = result
        self.digest = result.drops_digest


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
    """The position of each column read (`placement` and the BY_WORKER pair only where named), and the names of the
    ignored ones; or UploadRejected."""
    names = [str(cell).strip().lstrip("\ufeff").lower().replace(" ", "_") if cell is not None else "" for cell in cells]
    names = [HEADER_ALIASES.get(name, name) for name in names]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        separator = "semicolons" if ";" in names[0] else "tabs"
        raise whole_file(f"Columns must be separated by commas; this file uses {separator}.")
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in positions:
            raise UploadRejected([{"row": 1, "column": name, "message": f"the column {name} is named twice"}])
        if name:
            positions[name] = position
    by_worker = all(name in positions for name in BY_WORKER)
    missing = [name for name in COLUMNS if name not in positions and not (name == "placement" and by_worker)]
    if missing == ["placement"]:
        found = ", ".join(str(cell) for cell in cells if cell not in (None, "")) or "nothing"
        message = (
            "the first row must name the column placement (the placement's number), or both swe_number (the "
            f"worker's registration number) and authority (the council) (the first row has: {found})"
        )
        raise UploadRejected([{"row": 1, "column": None, "message": message}])
    if missing:
        found = ", ".join(str(cell) for cell in cells if cell not in (None, "")) or "nothing"
        message = (
            f"the first row must name the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)} "
            f"(the first row has: {found})"
        )
        raise UploadRejected([{"row": 1, "column": None, "message": message}])
    read = (*COLUMNS, *BY_WORKER)
    ignored = tuple(name for name in positions if name not in read)
    return {name: positions[name] for name in read if name in positions}, ignored


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
    if isinstance(value, FormulaWithoutValue):
        raise InvalidValue(formula_message("placement", value))
    text = str(value).strip() if value is not None else ""
    if not text:
        raise InvalidValue("placement is missing")
    if text.isdigit() and 0 < int(text) < 2**63:
        return int(text)
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    raise InvalidValue(f"placement must be a placement number such as 1234 (got {shown})")


# --- Naming the placement by the worker and the council -------------------------------------------------------------


class _AuthorityNames:
    """The councils as a file may name them: by name, ONS code or DfE code, in any case."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        for pk, code, la_code, name in Authority.objects.values_list("pk", "code", "la_code", "name"):
            self.names[pk] = name
            for key in (code, la_code, name):
                self.ids[key.strip().casefold()] = pk

    def find(self, value) -> int | None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self.ids.get(str(value).strip().casefold()) if value is not None else None


def _swe(value) -> str:
    return str(value).strip().upper() if value is not None else ""


def _worker_at(cells, swe_col, authority_col, authorities) -> tuple | None:
    """(registration number, authority id or the council as written) when the row names both, else None."""
    if swe_col is None or authority_col is None:
        return None
    swe, council = _swe(cells[swe_col]), cells[authority_col]
    if not swe or _blank((council,)):
        return None
    found = authorities.find(council)
    return (swe, found) if found is not None else (swe, None, str(council).strip())


def _placements_by_worker(keys: set[tuple], user) -> dict[tuple, list[tuple]]:
    """(registration number, authority id) -> the uploader's placements of that worker there: (id, start, end)."""
    if not keys:
        return {}
    found: dict[tuple, list[tuple]] = {key: [] for key in keys}
    rows = visible_to(
        Placement.objects.filter(
            worker__swe_number__in={swe for swe, _authority in keys},
            authority_id__in={authority for _swe, authority in keys},
        ),
        user,
    ).values_list("worker__swe_number", "authority_id", "pk", "start_date", "end_date")
    for swe, authority_id, pk, start, end in rows.order_by("start_date", "pk"):
        if (swe.upper(), authority_id) in found:
            found[swe.upper(), authority_id].append((pk, start, end))
    return found


def _by_worker_on(key: tuple, day, by_worker: dict, authorities) -> tuple | str:
    """The placement a row names by worker and council, on its date, as (id, start, end); else why not (naming the
    candidates)."""
    if len(key) == 3:
        return f'authority "{key[2]}" is not a council or trust of the region (give its name or ONS or DfE code)'
    swe, authority_id = key
    where = f"{swe} at {authorities.names[authority_id]}"
    candidates = by_worker.get(key) or []
    if not candidates:
        return f"you have no placement of {where}"
    if day is None:
        if len(candidates) == 1:
            return candidates[0]
        return f"{where} has placements {_listed(candidates)}: give the date, or the placement's number"
    running = [c for c in candidates if c[1] <= day and (c[2] is None or day <= c[2])]
    if len(running) == 1:
        return running[0]
    if not running:
        return f"no placement of {where} runs on {day}: its placements are {_listed(candidates)}"
    return f"{where} has more than one placement on {day} ({_listed(running)}): give the placement's number"


def _listed(candidates) -> str:
    return ", ".join(f"{pk} (from {start}{f' to {end}' if end else ', no end date'})" for pk, start, end in candidates)


def _disagreement(placement_id: int, known: tuple, cells, swe_col, authority_col, authorities) -> str | None:
    """Why a row's registration number or council contradicts the placement number it also gives; None if not."""
    _start, _end, swe, authority_id = known
    given_swe = _swe(cells[swe_col]) if swe_col is not None else ""
    if given_swe and given_swe != swe.upper():
        return f"placement {placement_id} is {swe}'s, not {given_swe}'s"
    council = cells[authority_col] if authority_col is not None else None
    if not _blank((council,)) and authorities.find(council) != authority_id:
        return f"placement {placement_id} is at {authorities.names[authority_id]}, not {str(council).strip()}"
    return None


# --- The upload -------------------------------------------------------------------------------------------------------


def timesheet_upload(*, file, user, ask_before_dropping: bool = False, confirmed: str = "") -> UploadResult:
    """Check every row of an uploaded CSV or XLSX file of timesheet lines and, if all are good, store them.

    `file` is a binary file (an `UploadedFile`, or anything with read/seek); `user` the uploader: each row's
    placement must be one `user` may see (`visible_to`). Lines are grouped into weeks ending on Sunday and stored in
    one transaction through `LineStaging.store` (as a week's form is, by `timesheets_store`): each week in the file
    becomes that timesheet's new revision, the lines it replaces stay in history, and an audit is queued for after
    the commit; a week whose lines are exactly its current lines stores nothing (decided under a lock on its
    placement, so the same file sent twice at once is stored once), nor does a file of only such weeks queue an
    audit. Returns an `UploadResult`; raises `UploadRejected` (storing nothing) for a file too large or of
    another type, a missing header, or any bad row, listing each bad row's number, column and reason.

    With `ask_before_dropping`, a file that would drop days (lines of a week already submitted on days the file has
    no line for) stores nothing and raises `DropsNeedConfirmation`, unless `confirmed` is that exception's `digest`
    for exactly the lines it would drop now. The check is the store itself, rolled back: what is asked is what would
    be stored. A file that drops no day is stored without asking.

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
                result = UploadResult(
                    rows=staging.rows,
                    weeks=stored.weeks,
                    timesheets_created=stored.timesheets_created,
                    timesheets_revised=stored.timesheets_revised,
                    lines_stored=stored.lines_stored,
                    ignored_columns=ignored,
                    timesheets_unchanged=stored.timesheets_unchanged,
                    replaced_lines=stored.replaced_lines,
                    lines_replaced=stored.lines_replaced,
                    lines_dropped=stored.lines_dropped,
                )
                if ask_before_dropping and result.lines_dropped and confirmed != result.drops_digest:
                    raise DropsNeedConfirmation(result)  # leaving the atomic block rolls the store back
    return result


def _check_and_stage(numbered, *, columns: dict[str, int], width: int, user, staging: LineStaging, errors: _Errors):
    """Check the rows after the header ((row number, cells), as `upload_rows` gives them), chunk by chunk, and stage the
    good ones. Bad rows go to `errors`; good rows
    are still staged after a bad one, so duplicates among them are reported too (the transaction drops them all)."""
    placement_col, date_col, hours_col = columns.get("placement"), columns["date"], columns["hours"]
    swe_col, authority_col = columns.get("swe_number"), columns.get("authority")
    authorities = _AuthorityNames() if authority_col is not None else None
    pay_col, charge_col = columns["pay_rate"], columns["charge_rate"]
    needed = max(columns.values()) + 1
    # Cells are always hashable here (text, numbers, datetimes): call the parsers' caches directly.
    placement_of, date_of, hours_of, rate_of = _placement_id, parse_date.cached, parse_hours.cached, parse_rate.cached
    today = timezone.localdate()  # once per file: no day after it has been worked
    # placement id -> (start, end, worker's registration number, authority id), None when not the user's
    allowed: dict[int, tuple | None] = {}
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
            first = cells[placement_col] if placement_col is not None else None
            if _blank((first,)) and _blank(cells):
                continue  # a blank row (spreadsheets leave them); its number still counts
            if len(cells) > width and not _blank(cells[width:]):
                errors.add(row, None, f"the row has values beyond the {width} columns the header names")
                continue
            worker = _worker_at(cells, swe_col, authority_col, authorities)
            if _blank((first,)) and worker is not None:
                checked.append((row, cells, worker))
                continue
            if _blank((first,)) and swe_col is not None and authority_col is not None:
                message = "give the placement's number, or the worker's registration number and the council"
                checked.append((row, cells, InvalidValue(message)))
                continue
            try:
                checked.append((row, cells, placement_of(first)))
            except InvalidValue as error:
                checked.append((row, cells, error))
        by_worker = _placements_by_worker(
            {key for _row, _cells, key in checked if type(key) is tuple and key[1] is not None}, user
        )
        unknown = {placement for _row, _cells, placement in checked if type(placement) is int}.difference(allowed)
        if unknown:
            # One query per chunk: which of these placements the uploader may see, with their dates. Not saying
            # whether the others exist keeps other agencies' placements private.
            allowed.update(dict.fromkeys(unknown))
            found = visible_to(Placement.objects.filter(pk__in=unknown), user).values_list(
                "pk", "start_date", "end_date", "worker__swe_number", "authority_id"
            )
            allowed.update((pk, (start, end, swe, authority_id)) for pk, start, end, swe, authority_id in found)
        good = []
        for row, cells, placement_id in checked:
            bad, day, bad_date = False, None, None
            try:
                day = date_of(cells[date_col])
            except InvalidValue as error:
                bad, bad_date = True, error.message  # said after the placement's problem, in the columns' order
            if type(placement_id) is tuple:
                found = _by_worker_on(placement_id, day, by_worker, authorities)
                if type(found) is str:
                    bad, placement_id, dates = True, None, None
                    errors.add(row, "placement", found)
                else:
                    placement_id, dates = found[0], found[1:]
            elif type(placement_id) is int:
                dates = allowed.get(placement_id)
                if dates is None:
                    bad = True
                    errors.add(row, "placement", f"placement {placement_id} {refusal}")
                elif swe_col is not None or authority_col is not None:
                    if disagreement := _disagreement(placement_id, dates, cells, swe_col, authority_col, authorities):
                        bad = True
                        errors.add(row, "placement", disagreement)
            else:
                bad, dates = True, None
                errors.add(row, "placement", placement_id.message)
            if bad_date:
                errors.add(row, "date", bad_date)
            if day is not None and dates is not None:
                if problem := outside_placement(day, starts_on=dates[0], ends_on=dates[1], today=today):
                    bad = True
                    errors.add(row, "date", problem)
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
