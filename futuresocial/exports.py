"""Every chart's data as a table, shown beside it and downloadable as CSV or XLSX (the same rows in all three).

A view builds a `Table`, then:

    if response := table_export(request, table):
        return response          # ?export=csv or ?export=xlsx
    return render(..., {"table": table})   # {% include "includes/_table.html" %}

Values are written as they are: None is an empty cell (a gap, never zero); a cell may carry a note (e.g. the
suppression code of an official figure) through `Cell`. Text a spreadsheet would run as a formula is written with a
leading `'` (`spreadsheet_safe`: every export of the site, the DfE return's too, goes through it).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils.formats import localize

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What makes a spreadsheet read a text cell as a formula (OWASP, "CSV Injection"), with the full-width (U+FF1D,
# FF0B, FF0D, FF20) and small (U+FE66, FE62, FE63, FE6B) forms of = + - @, which spreadsheets fold to the ASCII signs.
FORMULA_STARTS = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
    "\ufe66",
    "\ufe62",
    "\ufe63",
    "\ufe6b",
)


def spreadsheet_safe(value):
    """`value` as a CSV or XLSX cell: text starting like a formula (a breach description, an agency's name: free
    text typed by someone else) gets a leading `'` so the spreadsheet shows it instead of running it. Numbers,
    negative ones too, and dates are not text and stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Cell:
    """A value with a note shown beside it (and exported in the next column as text when the value is missing)."""

    value: object
    note: str = ""

    def __str__(self):
        if self.value is None:
            return f"— ({self.note})" if self.note else "—"
        return f"{self.value} ({self.note})" if self.note else str(self.value)


@dataclass
class Table:
    title: str
    columns: list
    rows: list = field(default_factory=list)
    filename: str = "data"
    caption: str = ""

    @property
    def cells(self):
        """The rows as the page shows them (text, "—" for a gap): formatted here in one pass, which on a long table
        costs a quarter of formatting each value in the template."""
        return [[shown(value) for value in row] for row in self.rows]

    @property
    def slug(self):
        return re.sub(r"[^a-z0-9]+", "-", self.filename.lower()).strip("-") or "data"


def shown(value):
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,}"  # money and counts as people read them: 5,722,549.11 (its places as stored)
    if isinstance(value, str | int):
        return str(value)  # whole numbers here are years, counts of a few and ids: as they are
    return localize(value)  # dates as the site writes them; a Cell prints itself


def _plain(value):
    if isinstance(value, Cell):
        return value.value if value.value is not None and not value.note else str(value) if value.note else None
    return value


def table_csv(table: Table) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow([spreadsheet_safe(heading) for heading in table.columns])
    for row in table.rows:
        writer.writerow(["" if _plain(v) is None else spreadsheet_safe(_plain(v)) for v in row])
    return response


MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
BOLD = Font(bold=True)
WIDEST = 60


def xlsx_sheet(book: Workbook, title: str, headings: list, rows: list) -> None:
    """A sheet as people read one: a bold header row that stays in view, columns as wide as their contents (up to
    60 characters), money as numbers with thousands separators and pence, dates as dates (day first). Text never as
    a formula (`spreadsheet_safe`). `book` is write-only: widths and panes are set before the rows."""
    sheet = book.create_sheet(title=(title or "Data")[:31].replace("/", "-"))
    widths = [len(str(heading)) for heading in headings]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            shown = f"{value:,.2f}" if isinstance(value, Decimal) else "" if value is None else str(value)
            widths[index] = max(widths[index], min(len(shown), WIDEST))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    header = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, value=spreadsheet_safe(heading))
        cell.font = BOLD
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                # Money and rates as numbers a spreadsheet can sum.
                cell = WriteOnlyCell(sheet, value=float(value))
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
            else:
                cell = WriteOnlyCell(sheet, value=spreadsheet_safe(value))
            cells.append(cell)
        sheet.append(cells)


def table_xlsx(table: Table) -> HttpResponse:
    book = Workbook(write_only=True)
    xlsx_sheet(book, table.title, table.columns, [[_plain(value) for value in row] for row in table.rows])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{table.slug}.xlsx"'
    return response


def table_export(request, *tables: Table, param="export"):
    """The CSV/XLSX download when the request asks for one (`?export=csv`, `?table=<slug>` picks among several; a
    slug the page has no table for is a 404, not another table's data under the name asked for)."""
    wanted = request.GET.get(param)
    if wanted not in ("csv", "xlsx"):
        return None
    chosen = tables[0]
    if slug := request.GET.get("table"):
        chosen = next((t for t in tables if t.slug == slug), None)
        if chosen is None:
            raise Http404(f"This page has no table “{slug}” to download.")
    return table_csv(chosen) if wanted == "csv" else table_xlsx(chosen)


def is_date(value):
    return isinstance(value, date)
