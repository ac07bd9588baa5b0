"""Upload of one or more workforce returns as a CSV or XLSX file: every row is checked before any is stored.

The first row names the columns (any order, any case; "Period end" reads as period_end): `authority` (its ONS code,
e.g. E08000029, or DfE code, e.g. 334), `period_end`, `permanent_fte`, `agency_fte`, `vacancies_fte`,
`leavers_fte`, and optionally `absence_rate`. Other columns are ignored. Each row is checked by the page's own form
(`WorkforceFiguresForm`), so the same figures are refused in both. A council may upload its own authority's returns
only; the coordinator any authority's.

All or nothing: a file with any bad row stores nothing, and every bad row is named (row numbers as a spreadsheet
shows them, the header being row 1). The rows are stored by `workforce_returns_submit` (workforce/services.py), the
page's and the API's rule for many returns at once: a row for a period end already returned is a resubmission, it
replaces that return's figures, and the earlier ones stay in its history.

The file is read as the timesheet upload's is (futuresocial/uploads.py): CSV or XLSX told by its content, a damaged
or foreign file refused saying what it is, and its size and rows bounded (settings WORKFORCE_UPLOAD_MAX_BYTES and
WORKFORCE_UPLOAD_MAX_ROWS) while it is read.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

from futuresocial.uploads import UploadLimits, UploadRejected, upload_rows, whole_file
from region.models import Authority
from workforce.forms import WorkforceFiguresForm
from workforce.services import submit_refusal, workforce_returns_submit

COLUMNS = ("authority", "period_end", "permanent_fte", "agency_fte", "vacancies_fte", "leavers_fte", "absence_rate")
REQUIRED = COLUMNS[:-1]
ALIASES = {"authority_code": "authority", "ons_code": "authority"}


@dataclass(frozen=True)
class UploadResult:
    rows: int
    created: int
    resubmitted: int


def upload_limits() -> UploadLimits:
    """Settings WORKFORCE_UPLOAD_MAX_BYTES and _MAX_ROWS: a region's authorities (12 to 33) × 4 quarters × many years
    is a few hundred rows, a thousand or two for London."""
    return UploadLimits(max_bytes=settings.WORKFORCE_UPLOAD_MAX_BYTES, max_rows=settings.WORKFORCE_UPLOAD_MAX_ROWS)


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


def _header(cells) -> dict[str, int]:
    """{column name: position}, or UploadRejected naming what is missing or repeated."""
    positions = {}
    for position, heading in enumerate(cells):
        name = _column_name(heading)
        if name in COLUMNS:
            if name in positions:
                raise whole_file(f"The column {name} appears twice in the first row.")
            positions[name] = position
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise whole_file(f"The first row must name the columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}.")
    return positions


def workforce_returns_upload(*, file, user) -> UploadResult:
    """Check every row, then store all of them (created or resubmitted) in one transaction through
    `workforce_returns_submit`; or UploadRejected, storing nothing."""
    authorities = {}
    for authority in Authority.objects.all():
        authorities[authority.code.upper()] = authorities[authority.la_code] = authority

    errors, returns, first_row = [], [], {}
    with upload_rows(file, limits=upload_limits(), contents="returns") as (header, rows):
        positions = _header(header)
        for number, cells in rows:
            values = {
                name: _cell(cells[position]) if position < len(cells) else "" for name, position in positions.items()
            }
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
                message = f"a second return for {authority} for {key[1]:%d/%m/%Y} (row {first_row[key]} has one)"
                errors.append({"row": number, "column": "period_end", "message": message})
                continue
            first_row[key] = number
            returns.append({"authority": authority, **form.cleaned_data})
    if errors:
        raise UploadRejected(errors)
    if not returns:
        raise whole_file("The file has no returns: only its first row (the column names).")
    created, resubmitted = workforce_returns_submit(returns=returns, by=user)
    return UploadResult(rows=len(returns), created=created, resubmitted=resubmitted)
