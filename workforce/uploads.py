"""Upload of one or more workforce returns as a CSV or XLSX file: every row is checked before any is stored.

The first row names the columns (any order, any case; "Period end" reads as period_end): `authority` (its ONS code,
e.g. E08000029, or DfE code, e.g. 334), `period_end`, `permanent_fte`, `agency_fte`, `vacancies_fte`,
`leavers_fte`, and optionally `absence_rate`. Other columns are ignored. Each row is checked by the page's own form
(`WorkforceFiguresForm`), so the same figures are refused in both. A council may upload its own authority's returns
only; the coordinator any authority's.

All or nothing: a file with any bad row stores nothing, and every bad row is named (row numbers as a spreadsheet
shows them, the header being row 1). A row for a period end already returned is a resubmission: it replaces that
return's figures, and the earlier ones stay in its history.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import pghistory
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from workforce.forms import WorkforceFiguresForm
from workforce.models import Authority, WorkforceReturn
from workforce.services import submit_refusal

COLUMNS = ("authority", "period_end", "permanent_fte", "agency_fte", "vacancies_fte", "leavers_fte", "absence_rate")
REQUIRED = COLUMNS[:-1]
ALIASES = {"authority_code": "authority", "ons_code": "authority"}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000  # 14 authorities × 4 quarters × many years: a real file is a few hundred rows at most
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class UploadResult:
    rows: int
    created: int
    resubmitted: int


class UploadRejected(ValidationError):
    """The file was refused as a whole; nothing was stored. `errors`: [{"row", "column", "message"}] in row order
    (`row` None: the whole file)."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__({"file": [_describe(error) for error in errors]})


def _describe(error):
    where = ", ".join(str(part) for part in (error["row"] and f"row {error['row']}", error["column"]) if part)
    return f"{where}: {error['message']}" if where else error["message"]


def _whole_file(message):
    return UploadRejected([{"row": None, "column": None, "message": message}])


def _column_name(heading) -> str:
    name = "_".join(str(heading or "").strip().lower().split())
    return ALIASES.get(name, name)


def _cell(value) -> str:
    """A cell as the text a person would have typed (an XLSX date or number comes typed)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(file):
    """The file's rows as lists of text, from CSV (UTF-8, with or without Excel's byte-order mark) or XLSX."""
    if getattr(file, "size", 0) > MAX_BYTES:
        raise _whole_file(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
    content = file.read()
    if not content:
        raise _whole_file("The file is empty.")
    if content.startswith(XLSX_MAGIC):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, KeyError, OSError, ValueError) as error:
            raise _whole_file(f"The Excel file cannot be read: {error}") from error
        return [[_cell(value) for value in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _whole_file("The file is neither CSV (UTF-8) nor an Excel workbook (.xlsx).") from None
    try:
        return [[_cell(value) for value in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise _whole_file(f"The CSV file cannot be read: {error}") from error


def _header(rows) -> dict[str, int]:
    """{column name: position}, or UploadRejected naming what is missing or repeated."""
    if not rows:
        raise _whole_file("The file is empty.")
    positions = {}
    for position, heading in enumerate(rows[0]):
        name = _column_name(heading)
        if name in COLUMNS:
            if name in positions:
                raise _whole_file(f"The column {name} appears twice in the first row.")
            positions[name] = position
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise _whole_file(f"The first row must name the columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}.")
    return positions


def workforce_returns_upload(*, file, user) -> UploadResult:
    """Check every row, then store all of them (created or resubmitted) in one transaction; or UploadRejected."""
    rows = _rows(file)
    positions = _header(rows)
    if len(rows) - 1 > MAX_ROWS:
        raise _whole_file(f"The file has more than {MAX_ROWS:,} rows: split it.")

    authorities = {}
    for authority in Authority.objects.all():
        authorities[authority.code.upper()] = authorities[authority.la_code] = authority

    errors, returns, first_row = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        values = {name: row[position] if position < len(row) else "" for name, position in positions.items()}
        if not any(values.values()):
            continue  # a blank row
        code = values.pop("authority")
        authority = authorities.get(code.upper())
        if authority is None:
            errors.append({"row": number, "column": "authority", "message": f"unknown authority code {code!r}"})
        elif refusal := submit_refusal(by=user, authority=authority):
            errors.append({"row": number, "column": "authority", "message": refusal})
        form = WorkforceFiguresForm(data=values)
        if not form.is_valid():
            for column, messages in form.errors.items():
                errors += [{"row": number, "column": column, "message": message} for message in messages]
            continue
        if authority is None or submit_refusal(by=user, authority=authority):
            continue
        key = (authority.pk, form.cleaned_data["period_end"])
        if key in first_row:
            errors.append(
                {
                    "row": number,
                    "column": "period_end",
                    "message": f"a second return for {authority} for {key[1]:%d/%m/%Y} (row {first_row[key]} has one)",
                }
            )
            continue
        first_row[key] = number
        returns.append(WorkforceReturn(authority=authority, submitted_by=user, **form.cleaned_data))
    if errors:
        raise UploadRejected(errors)
    if not returns:
        raise _whole_file("The file has no returns: only its first row (the column names).")
    return _store(returns, user=user)


@transaction.atomic
def _store(returns: list[WorkforceReturn], *, user) -> UploadResult:
    existing = set(
        WorkforceReturn.objects.filter(
            authority__in={r.authority_id for r in returns}, period_end__in={r.period_end for r in returns}
        ).values_list("authority_id", "period_end")
    )
    now = timezone.now()
    for workforce_return in returns:
        workforce_return.submitted_at = now
    with pghistory.context(user=user.pk):
        # One INSERT ... ON CONFLICT DO UPDATE: a period end already returned is a resubmission, and a return
        # inserted by someone else meanwhile is updated, not a crash. The history triggers see inserts and updates.
        WorkforceReturn.objects.bulk_create(
            returns,
            update_conflicts=True,
            unique_fields=["authority", "period_end"],
            update_fields=[*WorkforceReturn.FIGURES, "submitted_by", "submitted_at"],
        )
    resubmitted = sum((r.authority_id, r.period_end) in existing for r in returns)
    return UploadResult(rows=len(returns), created=len(returns) - resubmitted, resubmitted=resubmitted)
