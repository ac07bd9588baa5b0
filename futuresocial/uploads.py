"""Reading an uploaded CSV or XLSX file, for both uploads the app takes: agencies' timesheet lines
(placements/uploads.py) and councils' workforce returns (workforce/uploads.py).

`upload_rows` checks the file's size against its upload's limit, tells CSV from XLSX by the file's first bytes
(whatever its name says; a PDF, an image, an old .xls or an empty file is refused saying what it is), and gives the
header row and then the rows after it one at a time, numbered as a spreadsheet shows them (the header is row 1). So
memory stays bounded however long the file, and a file with more rows than its limit is refused as soon as the row
past the limit is read: a small XLSX that unpacks to millions of rows is never read to its end. Every problem is an
`UploadRejected`; nothing here stores anything. Each upload checks its own columns and rows. `upload_page` is the
workforce upload's view (the timesheet upload's own, placements/views.py, also asks before a file drops days): a
refused file answers 400, with the page listing its errors.

The limits are settings (TIMESHEET_UPLOAD_* and WORKFORCE_UPLOAD_*); the request's own bound, before any of this
runs, is the larger file of the two (futuresocial/security.py).
"""

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render

XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 Excel format (OLE compound file)
PDF_MAGIC = b"%PDF-"

# What openpyxl raises, while opening a workbook or reading its rows, for a file that is not a readable workbook: a
# damaged zip (BadZipFile, zlib.error, EOFError), a missing part (KeyError), broken XML (ParseError, a SyntaxError),
# values it cannot make sense of (ValueError, openpyxl's InvalidFileException being one).
UNREADABLE_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, SyntaxError, ValueError, OSError)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_rows: int  # rows after the header, blank ones included
    too_large_advice: str = "Split it into several files."


def largest_upload_bytes() -> int:
    """The largest file any upload accepts: the bound on a request's body (futuresocial/security.py)."""
    return max(settings.TIMESHEET_UPLOAD_MAX_BYTES, settings.WORKFORCE_UPLOAD_MAX_BYTES)


def too_large_message(size: int, limit: int, advice: str = "Split it into several files.") -> str:
    return f"The file is {size / 1_048_576:.1f} MB; the largest accepted is {limit / 1_048_576:.0f} MB. {advice}"


class UploadRejected(ValidationError):
    """An upload refused as a whole: nothing was stored.

    `errors` lists problems in row order, each {"row": n, "column": name or None, "message": ...} (row 1 is the
    header; `row` is None for a problem with the whole file); `more` counts problems found but not listed. As a
    ValidationError its messages are "row 501, hours: hours must be between 0 and 24 (got 25)".
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


class FormulaWithoutValue(str):
    """An XLSX cell holding a formula but no value saved with it (files written by programs, not spreadsheets: the
    value is computed when a spreadsheet program opens and saves the file). Its text is the formula, "=C2*7.5"; a
    column's parser says so rather than that the value is missing (`formula_message`)."""


def formula_message(column: str, formula: str) -> str:
    return (
        f"{column} is a formula with no saved value ({formula}): open the file in a spreadsheet program and save it "
        "there, or type the number"
    )


def whole_file(message: str) -> UploadRejected:
    return UploadRejected([{"row": None, "column": None, "message": message}])


def upload_page(request, *, form_class, upload, template: str, context: dict):
    """An upload page: the form, then the upload's result or its refusal.

    A refused file answers 400, as the API does: one the upload refuses, with the whole page and the refusal's
    row-by-row errors (`rejected`), so the person can correct the file and send it again; and a form sent without a
    file, or with an empty one, with the form's error. `upload(file=..., user=...)` is the upload's service; the
    template gets `form`, `result` and `rejected` besides `context`."""
    form = form_class(request.POST or None, request.FILES or None)
    result = rejected = None
    refused = False
    if request.method == "POST":
        if form.is_valid():
            try:
                result = upload(file=form.cleaned_data["file"], user=request.user)
            except UploadRejected as error:
                rejected = error
        refused = rejected is not None or not form.is_valid()
    return render(
        request,
        template,
        {**context, "form": form, "result": result, "rejected": rejected},
        status=400 if refused else 200,
    )


@contextmanager
def upload_rows(file, *, limits: UploadLimits, contents: str):
    """`with upload_rows(file, limits=..., contents="timesheet lines") as (header, rows):` the header row's cells, and
    an iterator of (row number, cells) for the rows after it; or UploadRejected. `contents` names what the file holds,
    for the messages. `file` is a binary file (an `UploadedFile`, or anything with read/seek); it is left open.

    Cells are text from a CSV; from an XLSX as the spreadsheet typed them (numbers, dates as datetimes, None).
    """
    size = _size(file)
    if size > limits.max_bytes:
        raise whole_file(too_large_message(size, limits.max_bytes, limits.too_large_advice))
    rows = _xlsx_rows(file) if _sniff(file, contents=contents) == "xlsx" else _csv_rows(file)
    try:
        header = next(rows, None)
        if header is None:
            raise whole_file("The file is empty.")
        # islice and chain keep the count in C: the bench's rows/s is the timesheet upload's own.
        numbered = enumerate(chain(islice(rows, limits.max_rows), _refuse_more(rows, limits.max_rows)), start=2)
        yield header, numbered
    finally:
        rows.close()  # the generators close the workbook and detach the text wrapper


def _refuse_more(rows, max_rows: int):
    """Reached once `max_rows` rows are read: refuses the file if it has another."""
    for _row in rows:
        raise whole_file(f"The file has more than {max_rows:,} rows: split it into several files.")
    yield from ()


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    return size


def _sniff(file, *, contents: str) -> str:
    """ "xlsx" or "csv" from the file's first bytes, whatever its name says; or UploadRejected."""
    file.seek(0)
    head = file.read(4096)
    file.seek(0)
    if isinstance(head, str):
        raise TypeError("an upload needs a file opened in binary mode")
    if not head:
        raise whole_file("The file is empty.")
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        raise whole_file("This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) or as CSV UTF-8.")
    if b"\x00" in head:
        raise whole_file("The file is neither CSV nor XLSX: upload a CSV (UTF-8) or an Excel workbook (.xlsx).")
    if head.startswith(PDF_MAGIC):  # a PDF whose first bytes happen to be text would otherwise read as a CSV
        raise whole_file(f"This is a PDF: upload the {contents} as a CSV (UTF-8) or an Excel workbook (.xlsx).")
    return "csv"


def _csv_rows(file) -> Iterator[list]:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    starts, held = 1, None  # the line the row being read starts on; a row that may have swallowed the file's end
    try:
        for row in reader:
            if held is not None:
                yield held  # another row followed it: it was a cell with line breaks, nothing more
                held = None
            if reader.line_num > starts and row and row[-1].endswith(("\n", "\r")):
                held, held_from = row, starts
            else:
                yield row
            starts = reader.line_num + 1
        if held is not None:
            # A quote opened and never closed: the rest of the file became one cell, and its value's error would
            # quote every row after it. Say what it is, and where.
            message = f'a quote (") opened on row {held_from} is never closed: close it, or remove it'
            raise UploadRejected([{"row": held_from, "column": None, "message": message}])
    except UnicodeDecodeError:
        # Text is decoded a block at a time: the row is where the block starts, near the bad byte.
        raise whole_file(
            f"The file is not UTF-8 text (near row {reader.line_num + 1}): save it from the spreadsheet as "
            "“CSV UTF-8”, or upload the .xlsx workbook."
        ) from None
    except csv.Error as error:
        message = f"the CSV cannot be read here: {error}"
        raise UploadRejected([{"row": reader.line_num, "column": None, "message": message}]) from None
    finally:
        text.detach()  # leave the caller's file open


def _refuse_a_shared_strings_bomb(file) -> None:
    """openpyxl streams a sheet's rows but reads the workbook's whole table of shared strings into memory on opening:
    a small compressed file could declare gigabytes there. Refused by the size the archive declares (zipfile reads
    no more than that)."""
    limit = settings.XLSX_MAX_SHARED_STRINGS_BYTES
    try:
        with zipfile.ZipFile(file) as archive:
            declared = sum(info.file_size for info in archive.infolist() if info.filename.endswith("sharedStrings.xml"))
    except UNREADABLE_WORKBOOK:
        declared = 0  # not a readable zip: load_workbook says so below
    finally:
        file.seek(0)
    if declared > limit:
        raise whole_file(
            f"The Excel workbook's text unpacks to {declared / 1_048_576:,.0f} MB, more than the "
            f"{limit / 1_048_576:,.0f} MB accepted: save it as CSV UTF-8, or split it into several files."
        )


# The start of a row element in a sheet's XML, with or without a namespace prefix (`<row `, `<x:row>`).
ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
# The start of a cell's formula element (`<f>`, `<f t="shared" .../>`, `<x:f>`).
FORMULA_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


class _BoundedSheetXml:
    """A worksheet's XML as openpyxl reads it, refusing the file once a cell or a row holds more than the settings
    allow. openpyxl builds each row whole (every cell's text) before giving it: a 1.3 MB workbook of inline strings
    held 800 MB in one row. Counted on the bytes as they stream, a chunk at a time (openpyxl reads 16 KB):

    - a cell: the longest run of bytes without a `<`. Text and attribute values cannot hold a raw `<` (XML escapes
      it), so any one text, value or attribute, of any cell type, is bounded by it;
    - a row: the bytes from one `<row` to the next.
    """

    def __init__(self, raw, *, max_cell: int, max_row: int):
        self.raw, self.max_cell, self.max_row = raw, max_cell, max_row
        self.since_tag = 0  # bytes since the last `<`
        self.in_row = 0  # bytes since the last `<row`
        self.rows = 0  # rows started, for the message
        self.formulas = False  # a formula element read so far (`_xlsx_rows` then looks for ones without a value)
        self._tail = b""

    def read(self, size=-1):
        chunk = self.raw.read(size)
        self._count(chunk)
        if not self.formulas and chunk:
            self.formulas = FORMULA_START.search(self._tail + chunk) is not None
            self._tail = chunk[-16:]  # a tag cut between two reads
        return chunk

    def _count(self, chunk: bytes) -> None:
        first, last = chunk.find(b"<"), chunk.rfind(b"<")
        if first == -1:
            run = self.since_tag = self.since_tag + len(chunk)
        else:
            run = self.since_tag + first
            if len(chunk) > self.max_cell:  # a large read: the runs inside the chunk could exceed the bound too
                run = max(run, *(len(part) for part in chunk[first:last].split(b"<")))
            self.since_tag = len(chunk) - last - 1
        starts = [match.start() for match in ROW_START.finditer(chunk)]
        row_bytes = self.in_row + (starts[0] if starts else len(chunk))
        if len(starts) > 1:
            row_bytes = max(row_bytes, *(b - a for a, b in zip(starts, starts[1:], strict=False)))
        self.in_row = len(chunk) - starts[-1] if starts else self.in_row + len(chunk)
        # The row open when the bound was passed (the `<row` elements started before this chunk; near enough when a
        # chunk holds several rows).
        row = max(self.rows, 1)
        if run > self.max_cell:
            raise whole_file(
                f"A cell in row {row} of the Excel workbook holds more than "
                f"{self.max_cell // 1024:,} KB (a spreadsheet cell holds at most 32,767 characters): the file is not "
                "a spreadsheet's own."
            )
        if row_bytes > self.max_row:
            raise whole_file(
                f"Row {row} of the Excel workbook holds more than "
                f"{self.max_row // 1_048_576:,} MB: a row of an upload is a few hundred bytes. Save the sheet as "
                "CSV UTF-8, or remove what the row holds besides its columns."
            )
        self.rows += len(starts)

    def close(self):
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _first_sheet(file, *, data_only: bool):
    """(workbook, its first sheet's rows, the sheet's bounded XML as last opened) for `_xlsx_rows`."""
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet's XML; data_only gives formulas' last computed values, not "=B2*7.5".
        workbook = load_workbook(file, read_only=True, data_only=data_only)
    except UNREADABLE_WORKBOOK:
        raise whole_file("The file is a zip archive but not an Excel workbook (.xlsx) that can be read.") from None
    if not workbook.worksheets:
        workbook.close()
        raise whole_file("The Excel workbook has no worksheet: put the rows on its first sheet.")
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # trust the rows, not the sheet's stated size, which some tools get wrong
    # openpyxl opens the sheet's XML through this method each time it reads rows (a private one of its read-only
    # worksheet, pinned by tests/hardening/test_xlsx_memory.py): the sheet streams through the bounds.
    opened, xml = sheet._get_source, []

    def bounded():
        limits = {"max_cell": settings.XLSX_MAX_CELL_BYTES, "max_row": settings.XLSX_MAX_ROW_BYTES}
        xml[:] = [_BoundedSheetXml(opened(), **limits)]
        return xml[0]

    sheet._get_source = bounded
    return workbook, sheet.iter_rows(values_only=True), xml


def _xlsx_rows(file) -> Iterator[tuple]:
    _refuse_a_shared_strings_bomb(file)
    workbook, rows, xml = _first_sheet(file, data_only=True)
    # A formula with no saved value reads as an empty cell. Once the sheet has shown a formula, a row with an empty
    # cell is looked up in a second read of the sheet, without data_only, kept level with the first (so it streams
    # through the same bounds and never reads past it); a sheet without formulas is read once.
    formulas = None  # (workbook, rows) of that second read
    read = level = 0  # rows read by the first read, and by the second
    try:
        try:
            for values in rows:
                read += 1
                if xml and xml[0].formulas and None in values and any(value is not None for value in values):
                    if formulas is None:
                        file.seek(0)
                        formulas = _first_sheet(file, data_only=False)[:2]
                    for written in formulas[1]:
                        level += 1
                        if level == read:
                            values = _with_formulas(values, written)
                            break
                yield values
        except UNREADABLE_WORKBOOK:
            raise whole_file(
                "The Excel workbook cannot be read to its end: it is damaged. Save it again from the spreadsheet, "
                "or upload it as CSV UTF-8."
            ) from None
    finally:
        workbook.close()
        if formulas is not None:
            formulas[0].close()


def _with_formulas(values: tuple, written: tuple) -> tuple:
    """The row's values, with each empty cell that holds a formula (as the second read gives it: "=..." text, or an
    array formula's object with its `text`) as a `FormulaWithoutValue`."""
    cells = list(values)
    for position, value in enumerate(values):
        formula = getattr(written[position], "text", written[position]) if position < len(written) else None
        if value is None and isinstance(formula, str) and formula.startswith("="):
            cells[position] = FormulaWithoutValue(formula)
    return tuple(cells)
