"""The exports' cells: text a spreadsheet would run as a formula is written as text (OWASP, "CSV Injection")."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from futuresocial.exports import Table, spreadsheet_safe, table_csv, table_xlsx


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 121 704 6000", "'+44 121 704 6000"),
        ("-2 hours", "'-2 hours"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tpadded", "'\tpadded"),
        ("\rreturn", "'\rreturn"),
        # Full-width forms (East Asian input methods type them): spreadsheets read them as the ASCII signs.
        ("\uff1dSUM(A1:A9)", "'\uff1dSUM(A1:A9)"),
        ("\uff0b44 121", "'\uff0b44 121"),
        ("\uff0d2 hours", "'\uff0d2 hours"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        # The small form variants too.
        ("\ufe66SUM(A1)", "'\ufe66SUM(A1)"),
        ("\ufe62A1", "'\ufe62A1"),
        ("\ufe63A1", "'\ufe63A1"),
        ("\ufe6bA1", "'\ufe6bA1"),
        ("Alpha Locums Ltd", "Alpha Locums Ltd"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_starting_like_a_formula_gets_a_leading_quote(value, written):
    assert spreadsheet_safe(value) == written


@pytest.mark.parametrize("number", [Decimal("-3.75"), -2, -1.5, Decimal("0.00")])
def test_numbers_negative_ones_too_stay_numbers(number):
    assert spreadsheet_safe(number) is number


def test_csv_and_xlsx_write_formulas_as_text_and_numbers_as_numbers():
    table = Table(
        title="Cases",
        columns=["Agency", "Excess £", "Day"],
        rows=[["=1+2", Decimal("-3.75"), date(2025, 1, 6)], ["-Alpha", Decimal("4.00"), None]],
    )
    rows = list(csv.reader(io.StringIO(table_csv(table).content.decode())))
    assert rows[1:] == [["'=1+2", "-3.75", "2025-01-06"], ["'-Alpha", "4.00", ""]]
    sheet = load_workbook(io.BytesIO(table_xlsx(table).content)).active
    assert [row[:2] for row in sheet.values][1:] == [("'=1+2", -3.75), ("'-Alpha", 4.0)]


def test_an_xlsx_download_reads_as_a_table():
    """Bold header row kept in view, columns fitted to their contents, money with separators and pence, dates day
    first (a default sheet showed 5722549.11 in narrow General columns)."""
    table = Table(
        title="Costs",
        columns=["Agency", "Total £", "Day"],
        rows=[["Alpha Social Care Staffing Ltd", Decimal("5722549.11"), date(2025, 1, 6)]],
    )
    sheet = load_workbook(io.BytesIO(table_xlsx(table).content)).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    money, day = sheet["B2"], sheet["C2"]
    assert (money.value, money.number_format) == (5722549.11, "#,##0.00")
    assert day.number_format == "DD/MM/YYYY"
    assert sheet.column_dimensions["A"].width >= len("Alpha Social Care Staffing Ltd")
    assert sheet.column_dimensions["B"].width >= len("5,722,549.11")
