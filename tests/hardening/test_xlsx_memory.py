"""Memory while reading a crafted XLSX (issue 17, point 5): a small workbook of inline strings (text kept in the
sheet itself, which the shared-strings bound does not see) unpacks to hundreds of MB in one row. The bytes of a cell
and of a row are bounded while the sheet streams, whatever the cell type, so the peak stays small and the file is
refused naming the row."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from django.conf import settings

import pytest
from openpyxl import Workbook

BASE_DIR = Path(__file__).resolve().parent.parent.parent

READ_AND_MEASURE = """
import resource, sys
import django
django.setup()
import openpyxl  # noqa: F401  (loaded before the baseline)
from futuresocial.uploads import UploadLimits, UploadRejected, upload_rows
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcome = "read to its end"
with open(sys.argv[1], "rb") as file:
    try:
        with upload_rows(file, limits=UploadLimits(10 * 1024 * 1024, 100_000), contents="timesheet lines") as (h, rows):
            for _ in rows:
                pass
    except UploadRejected as rejected:
        outcome = rejected.errors[0]["message"]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
print(outcome)
"""


def inline_strings_workbook(path: Path, *, cells: int, characters: int) -> None:
    """A workbook whose second row is `cells` inline-string cells of `characters` characters each."""
    skeleton = io.BytesIO()
    book = Workbook()
    book.active.append(["placement", "date", "hours", "pay_rate", "charge_rate"])
    book.save(skeleton)
    text = b"x" * characters
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row r="1"><c r="A1" t="inlineStr"><is><t>placement</t></is></c></row><row r="2">'
            )
            for _ in range(cells):
                sheet.write(b'<c t="inlineStr"><is><t>' + text + b"</t></is></c>")
            sheet.write(b"</row></sheetData></worksheet>")


def read_in_a_process_of_its_own(path: Path) -> tuple[int, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "futuresocial.settings"}
    result = subprocess.run(
        [sys.executable, "-c", READ_AND_MEASURE, str(path)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    megabytes, outcome = result.stdout.strip().splitlines()[-2:]
    return int(megabytes), outcome


@pytest.mark.slow
def test_a_workbook_of_huge_inline_strings_is_refused_with_a_bounded_peak(tmp_path):
    path = tmp_path / "inline.xlsx"
    inline_strings_workbook(path, cells=4_000, characters=50_000)  # 200 MB of text in one row
    assert path.stat().st_size < 2 * 1024 * 1024
    grown, outcome = read_in_a_process_of_its_own(path)
    limit_mb = settings.XLSX_MAX_ROW_BYTES // 1_048_576
    assert outcome == (
        f"Row 2 of the Excel workbook holds more than {limit_mb} MB: a row of an upload is a few hundred bytes. "
        "Save the sheet as CSV UTF-8, or remove what the row holds besides its columns."
    )
    assert grown < 40, f"the process grew by {grown} MB reading it"


def test_one_cell_larger_than_any_real_one_is_refused(tmp_path):
    path = tmp_path / "cell.xlsx"
    inline_strings_workbook(path, cells=1, characters=settings.XLSX_MAX_CELL_BYTES + 1)
    _, outcome = read_in_a_process_of_its_own(path)
    limit_kb = settings.XLSX_MAX_CELL_BYTES // 1024
    assert outcome == (
        f"A cell in row 2 of the Excel workbook holds more than {limit_kb} KB (a spreadsheet cell holds at most "
        "32,767 characters): the file is not a spreadsheet's own."
    )


def test_an_ordinary_row_of_long_text_is_read(tmp_path):
    path = tmp_path / "ordinary.xlsx"
    inline_strings_workbook(path, cells=5, characters=32_767)  # Excel's longest cells
    _, outcome = read_in_a_process_of_its_own(path)
    assert outcome == "read to its end"
