"""The timesheet upload is bounded (TIMESHEET_UPLOAD_MAX_BYTES, TIMESHEET_UPLOAD_MAX_ROWS) on the portal page and the
API alike, and a file of another type is refused with a message saying what it is; either way nothing is stored.
(The workforce-return upload, read by the same code, has its own tests: tests/workforce/test_returns_upload.py.)"""

import io
import re
import struct
import zipfile
import zlib
from datetime import date, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

import pytest
from openpyxl import Workbook
from rest_framework.test import APIClient

from futuresocial.security import OversizedUpload, UploadSizeLimitHandler
from placements.models import Timesheet, TimesheetLine
from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2024, 4, 1)


def test_the_limits_chosen():
    assert settings.TIMESHEET_UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    assert settings.TIMESHEET_UPLOAD_MAX_ROWS == 100_000
    assert settings.WORKFORCE_UPLOAD_MAX_BYTES == 2 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440


@pytest.fixture
def placement(agency_a):
    return PlacementFactory(agency=agency_a, start_date=MONDAY)


def csv_of(placement, rows: int, *, pad: int = 0) -> bytes:
    """`rows` good lines (one a day from MONDAY) for `placement`; `pad` adds an ignored notes column of that width."""
    header = "placement,date,hours,pay_rate,charge_rate" + (",notes" if pad else "")
    lines = [header]
    for n in range(rows):
        line = f"{placement.pk},{MONDAY + timedelta(days=n)},7.50,30.00,40.00"
        lines.append(line + ("," + "x" * pad if pad else ""))
    return ("\r\n".join(lines) + "\r\n").encode()


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def xlsx_bytes(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezipped(data: bytes, change) -> bytes:
    """The XLSX `data` with each member's bytes passed through change(name, bytes)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, change(name, source.read(name)))
    return buffer.getvalue()


def workbook_without_sheets() -> bytes:
    def no_sheets(name, data):
        return re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data) if name == "xl/workbook.xml" else data

    return rezipped(xlsx_bytes(), no_sheets)


def workbook_with_a_damaged_sheet() -> bytes:
    """A workbook whose sheet's XML turns to garbage where its rows start: openpyxl opens it, fails reading them."""

    def damaged(name, data):
        return data[: data.index(b"<sheetData>") + 11] + b"<row><<<" if name.endswith("sheet1.xml") else data

    return rezipped(xlsx_bytes(["placement", "date"], [1, date(2025, 3, 31)]), damaged)


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def nothing_stored():
    return not Timesheet.objects.exists() and not TimesheetLine.objects.exists()


def post_page(client, data: bytes, name: str):
    return client.post("/timesheets/upload/", {"file": SimpleUploadedFile(name, data)})


def post_api(user, data: bytes, name: str):
    api = APIClient()
    api.force_authenticate(user)
    return api.post("/api/v1/timesheets/upload/", {"file": SimpleUploadedFile(name, data)}, format="multipart")


# --- Size ---------------------------------------------------------------------------------------------------------


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read_on_the_page(client, settings, agency_user,
                                                                               placement):  # fmt: skip
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1024 * 1024
    settings.WORKFORCE_UPLOAD_MAX_BYTES = 1024 * 1024  # the request's bound is the larger of the two uploads'
    client.force_login(agency_user)
    response = post_page(client, csv_of(placement, 1, pad=3 * 1024 * 1024), "big.csv")
    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is too large" in page and "Nothing was stored." in page
    assert "The file is 3.0 MB; the largest accepted is 1 MB." in page
    assert nothing_stored()


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read_on_the_api(settings, agency_user, placement):
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1024 * 1024
    settings.WORKFORCE_UPLOAD_MAX_BYTES = 1024 * 1024  # the request's bound is the larger of the two uploads'
    response = post_api(agency_user, csv_of(placement, 1, pad=3 * 1024 * 1024), "big.csv")
    assert response.status_code == 413
    assert response.json()["file"][0].startswith("The file is 3.0 MB; the largest accepted is 1 MB.")
    assert nothing_stored()


def test_a_file_just_over_the_limit_is_refused_by_its_size_on_the_page(client, settings, agency_user, placement):
    # Within the form's margin, so it gets past the request check: the upload handler stops keeping it at the limit.
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1024 * 1024
    data = csv_of(placement, 1, pad=1024 * 1024 + 10_000)
    client.force_login(agency_user)
    response = post_page(client, data, "big.csv")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not accepted: nothing was stored" in page
    assert "The file is 1.0 MB; the largest accepted is 1 MB." in page
    assert nothing_stored()


def test_a_file_just_over_the_limit_is_a_400_on_the_api(settings, agency_user, placement):
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1024 * 1024
    response = post_api(agency_user, csv_of(placement, 1, pad=1024 * 1024 + 10_000), "big.csv")
    assert response.status_code == 400
    assert response.json()["file"][0].startswith("The file is 1.0 MB; the largest accepted is 1 MB.")
    assert nothing_stored()


def test_the_upload_handler_keeps_nothing_past_the_limit(settings, rf):
    """A body streamed without a declared length: the file's bytes past the limit are counted, not stored."""
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 64 * 1024
    settings.WORKFORCE_UPLOAD_MAX_BYTES = 64 * 1024
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.csv", b"a,b\r\n" * 100_000)})
    request = rf.generic("POST", "/timesheets/upload/", body, content_type=MULTIPART_CONTENT)
    handlers = [handler(request) for handler in (UploadSizeLimitHandler,)]
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    handlers.append(TemporaryFileUploadHandler(request))
    meta = {**request.META, "CONTENT_LENGTH": str(len(body))}
    _post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    upload = files["file"]
    assert isinstance(upload, OversizedUpload)
    assert upload.size == 500_000
    assert upload.read() == b""
    assert handlers[1].file.tell() <= 64 * 1024 + 65_536  # the temporary file stopped within a chunk of the limit


def test_a_file_with_more_rows_than_the_limit_is_refused(client, settings, agency_user, placement):
    settings.TIMESHEET_UPLOAD_MAX_ROWS = 10
    client.force_login(agency_user)
    response = post_page(client, csv_of(placement, 11), "lines.csv")
    assert "The file has more than 10 rows: split it into several files." in response.content.decode()
    assert nothing_stored()
    assert post_page(client, csv_of(placement, 10), "lines.csv").status_code == 200
    assert TimesheetLine.objects.count() == 10


def test_a_file_at_the_limits_is_accepted_on_the_api(settings, agency_user, placement):
    settings.TIMESHEET_UPLOAD_MAX_ROWS = 50
    data = csv_of(placement, 50)
    settings.TIMESHEET_UPLOAD_MAX_BYTES = len(data)
    response = post_api(agency_user, data, "lines.csv")
    assert response.status_code == 201, response.json()
    assert response.json()["lines_stored"] == 50


# --- Type -----------------------------------------------------------------------------------------------------------

WRONG_TYPES = [
    ("photo.csv", png_bytes(), "The file is neither CSV nor XLSX: upload a CSV (UTF-8) or an Excel workbook (.xlsx)."),
    ("timesheet.pdf", PDF, "This is a PDF: upload the timesheet lines as a CSV (UTF-8) or an Excel workbook (.xlsx)."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "This is an old Excel file (.xls)"),
    ("archive.xlsx", b"PK\x03\x04" + bytes(100), "The file is a zip archive but not an Excel workbook"),
    ("no-sheets.xlsx", workbook_without_sheets(), "The Excel workbook has no worksheet"),
    ("damaged-sheet.xlsx", workbook_with_a_damaged_sheet(), "The Excel workbook cannot be read to its end"),
    ("empty.csv", b"", "The submitted file is empty."),
]


@pytest.mark.parametrize("name,data,message", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_a_file_of_another_type_is_refused_on_the_page(client, agency_user, placement, name, data, message):
    client.force_login(agency_user)
    response = post_page(client, data, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_stored()


@pytest.mark.parametrize("name,data,message", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_a_file_of_another_type_is_a_400_on_the_api(agency_user, placement, name, data, message):
    response = post_api(agency_user, data, name)
    assert response.status_code == 400
    assert message in str(response.json()["file"])
    assert nothing_stored()


# --- A workbook whose text unpacks to far more than its size ---------------------------------------------------------


def shared_strings_bomb(megabytes: int) -> bytes:
    """A small XLSX whose shared-strings table (which openpyxl reads whole into memory) unpacks to `megabytes` MB."""
    buffer = io.BytesIO(xlsx_bytes(["placement", "date", "hours", "pay_rate", "charge_rate"]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        text = b"A" * (megabytes * 1_048_576)
        archive.writestr("xl/sharedStrings.xml", b'<sst count="1" uniqueCount="1"><si><t>' + text + b"</t></si></sst>")
    return buffer.getvalue()


def test_a_shared_strings_bomb_is_refused_before_openpyxl_reads_it(agency_user, placement):
    bomb = shared_strings_bomb(40)
    assert len(bomb) < 200_000  # 40 MB of text in a file of a few kilobytes
    response = post_api(agency_user, bomb, "lines.xlsx")
    assert response.status_code == 400
    message = response.json()["file"][0]
    assert message.startswith("The Excel workbook's text unpacks to 40 MB, more than the 32 MB accepted")
    assert nothing_stored()


def test_the_shared_strings_bound_is_a_setting(settings, client, agency_user, placement):
    settings.XLSX_MAX_SHARED_STRINGS_BYTES = 1_048_576
    client.force_login(agency_user)
    response = post_page(client, shared_strings_bomb(2), "lines.xlsx")
    assert response.status_code == 400
    assert "unpacks to 2 MB, more than the 1 MB accepted" in response.content.decode()
    assert nothing_stored()
