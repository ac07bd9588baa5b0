"""The workforce-return upload reads its file as the timesheet upload does (futuresocial/uploads.py): bounded by
WORKFORCE_UPLOAD_MAX_BYTES and WORKFORCE_UPLOAD_MAX_ROWS, a damaged or foreign file refused saying what it is, on the
page and the API alike, and nothing stored. It stores through the returns' service (workforce/services.py), so a
return resubmitted by file is resubmitted as the page and the API do it."""

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest
from pghistory.models import Events
from rest_framework.test import APIClient

from tests.factories import authority
from tests.hardening.test_upload_limits import (
    PDF,
    png_bytes,
    workbook_with_a_damaged_sheet,
    workbook_without_sheets,
    xlsx_bytes,
)
from workforce.models import WorkforceReturn
from workforce.services import workforce_return_submit, workforce_returns_submit
from workforce.uploads import UploadRejected, workforce_returns_upload

pytestmark = pytest.mark.django_db

PAGE = reverse("workforce:return-upload")
API = "/api/v1/workforce-returns/upload/"
HEADER = "authority,period_end,permanent_fte,agency_fte,vacancies_fte,leavers_fte"
FIRST_PERIOD_END = date(1990, 1, 1)


def returns_csv(rows: int, *, pad: int = 0) -> bytes:
    """`rows` good returns of Solihull, one a day from 1990; `pad` adds an ignored notes column of that width."""
    lines = [HEADER + (",notes" if pad else "")]
    for n in range(rows):
        line = f"E08000029,{FIRST_PERIOD_END + timedelta(days=n)},180,45,20,27"
        lines.append(line + ("," + "x" * pad if pad else ""))
    return ("\n".join(lines) + "\n").encode()


WRONG_TYPES = [
    ("photo.csv", png_bytes(), "The file is neither CSV nor XLSX: upload a CSV (UTF-8) or an Excel workbook (.xlsx)."),
    ("returns.pdf", PDF, "This is a PDF: upload the returns as a CSV (UTF-8) or an Excel workbook (.xlsx)."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "This is an old Excel file (.xls)"),
    ("damaged.xlsx", b"PK\x03\x04" + b"not a zip archive" * 20, "The file is a zip archive but not an Excel workbook"),
    ("no-sheets.xlsx", workbook_without_sheets(), "The Excel workbook has no worksheet"),
    ("damaged-sheet.xlsx", workbook_with_a_damaged_sheet(), "The Excel workbook cannot be read to its end"),
]


def post_page(client, user, data: bytes, name: str = "returns.csv"):
    client.force_login(user)
    return client.post(PAGE, {"file": SimpleUploadedFile(name, data)})


def post_api(user, data: bytes, name: str = "returns.csv"):
    api = APIClient()
    api.force_authenticate(user)
    return api.post(API, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def page_messages(response) -> list[str]:
    return [error["message"] for error in response.context["rejected"].errors]


# --- Type ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,data,message", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_a_damaged_or_foreign_file_is_refused_saying_what_it_is_on_the_page(client, council_user, name, data, message):
    response = post_page(client, council_user, data, name)
    assert response.status_code == 400
    assert any(message in shown for shown in page_messages(response)), page_messages(response)
    assert not WorkforceReturn.objects.exists()


@pytest.mark.parametrize("name,data,message", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_a_damaged_or_foreign_file_is_a_400_on_the_api(council_user, name, data, message):
    response = post_api(council_user, data, name)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["row"] is None and message in error["message"]
    assert not WorkforceReturn.objects.exists()


def test_an_empty_file_is_refused_on_the_api(council_user):
    response = post_api(council_user, b"")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"row": None, "column": None, "message": "The file is empty."}]}


# --- Size and rows --------------------------------------------------------------------------------------------------


def test_a_file_over_the_workforce_limit_is_refused_by_its_size(client, settings, council_user):
    settings.WORKFORCE_UPLOAD_MAX_BYTES = 1024 * 1024
    data = returns_csv(1, pad=1024 * 1024 + 10_000)
    response = post_page(client, council_user, data)
    assert response.status_code == 400
    assert page_messages(response)[0].startswith("The file is 1.0 MB; the largest accepted is 1 MB.")
    response = post_api(council_user, data)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("The file is 1.0 MB; the largest accepted is 1 MB.")
    assert not WorkforceReturn.objects.exists()


def test_the_request_limit_lets_through_a_workforce_file_larger_than_the_timesheet_limit(client, settings,
                                                                                          council_user):  # fmt: skip
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1024 * 1024
    settings.WORKFORCE_UPLOAD_MAX_BYTES = 3 * 1024 * 1024
    data = returns_csv(2000, pad=1024)  # 2.1 MB
    assert 2 * 1024 * 1024 < len(data) < 3 * 1024 * 1024
    response = post_page(client, council_user, data)
    assert response.status_code == 200, page_messages(response)
    assert WorkforceReturn.objects.count() == 2000


def test_a_body_larger_than_both_limits_is_refused_before_it_is_read(client, settings, council_user):
    settings.TIMESHEET_UPLOAD_MAX_BYTES = 1024 * 1024
    settings.WORKFORCE_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    response = post_page(client, council_user, returns_csv(1, pad=3 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file is 3.0 MB; the largest accepted is 2 MB." in response.content.decode()


def test_a_file_with_more_rows_than_the_limit_is_refused(client, settings, council_user):
    settings.WORKFORCE_UPLOAD_MAX_ROWS = 10
    response = post_page(client, council_user, returns_csv(11))
    assert response.status_code == 400
    assert page_messages(response) == ["The file has more than 10 rows: split it into several files."]
    assert not WorkforceReturn.objects.exists()
    assert post_page(client, council_user, returns_csv(10)).status_code == 200
    assert WorkforceReturn.objects.count() == 10


def test_an_excel_file_with_more_rows_than_the_limit_is_refused(client, settings, council_user):
    settings.WORKFORCE_UPLOAD_MAX_ROWS = 10
    rows = [["E08000029", FIRST_PERIOD_END + timedelta(days=n), 180, 45, 20, 27] for n in range(11)]
    response = post_page(client, council_user, xlsx_bytes(HEADER.split(","), *rows), "returns.xlsx")
    assert page_messages(response) == ["The file has more than 10 rows: split it into several files."]
    assert not WorkforceReturn.objects.exists()


class ReadCounter(io.BytesIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def read1(self, size=-1):
        data = super().read1(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.bytes_read += count
        return count


def test_the_row_limit_stops_reading_the_file_where_it_is_passed(settings, council_user):
    settings.WORKFORCE_UPLOAD_MAX_ROWS = 10
    data = returns_csv(20_000)  # 0.9 MB
    file = ReadCounter(data)
    with pytest.raises(UploadRejected, match="more than 10 rows"):
        workforce_returns_upload(file=file, user=council_user)
    assert file.bytes_read < 64 * 1024 < len(data)


def test_the_limits_chosen(settings):
    assert (settings.WORKFORCE_UPLOAD_MAX_BYTES, settings.WORKFORCE_UPLOAD_MAX_ROWS) == (2 * 1024 * 1024, 10_000)


# --- Stored through the service -------------------------------------------------------------------------------------


def test_a_return_resubmitted_by_file_is_resubmitted_as_the_page_does_it(client, council_user, coordinator):
    original, created = workforce_return_submit(
        authority=authority("E08000029"),
        period_end=date(2025, 3, 31),
        permanent_fte=Decimal("170"),
        agency_fte=Decimal("40"),
        vacancies_fte=Decimal("18"),
        leavers_fte=Decimal("25"),
        absence_rate=Decimal("2.5"),
        by=coordinator,
    )
    assert created
    response = post_page(client, council_user, f"{HEADER}\nE08000029,31/03/2025,180,45,20,27\n".encode())
    assert (response.context["result"].created, response.context["result"].resubmitted) == (0, 1)
    resubmitted = WorkforceReturn.objects.get()
    assert resubmitted.pk == original.pk
    assert resubmitted.submitted_by == council_user and resubmitted.submitted_at > original.submitted_at
    # The file has no absence_rate: the resubmission replaces it with none, as a form left blank does.
    assert (resubmitted.agency_fte, resubmitted.absence_rate) == (Decimal("45.00"), None)
    events = Events.objects.tracks(resubmitted).order_by("pgh_id")
    assert [event.pgh_context["user"] for event in events] == [coordinator.pk, council_user.pk]
    assert [Decimal(str(event.pgh_data["agency_fte"])) for event in events] == [Decimal("40"), Decimal("45")]


def submission(code, period_end, **figures):
    return {
        "authority": authority(code),
        "period_end": period_end,
        "permanent_fte": Decimal("180"),
        "agency_fte": Decimal("45"),
        "vacancies_fte": Decimal("20"),
        "leavers_fte": Decimal("27"),
        **figures,
    }


def test_storing_many_returns_refuses_them_all_when_one_is_another_authoritys(council_user):
    returns = [submission("E08000029", date(2025, 3, 31)), submission("E08000026", date(2025, 3, 31))]
    with pytest.raises(ValidationError) as refused:
        workforce_returns_submit(returns=returns, by=council_user)
    assert refused.value.message_dict == {"authority": ["You can only submit returns for your own authority."]}
    assert not WorkforceReturn.objects.exists()


def test_storing_many_returns_refuses_two_for_one_period_end(coordinator):
    returns = [submission("E08000029", date(2025, 3, 31)), submission("E08000029", date(2025, 3, 31))]
    with pytest.raises(ValidationError, match="two returns of Solihull for 31/03/2025"):
        workforce_returns_submit(returns=returns, by=coordinator)
    assert not WorkforceReturn.objects.exists()


def test_storing_many_returns_counts_the_new_and_the_resubmitted(coordinator):
    workforce_returns_submit(returns=[submission("E08000029", date(2025, 3, 31))], by=coordinator)
    created, resubmitted = workforce_returns_submit(
        returns=[
            submission("E08000029", date(2025, 3, 31), agency_fte=Decimal("50")),
            submission("E08000026", date(2025, 3, 31), absence_rate=Decimal("4.2")),
        ],
        by=coordinator,
    )
    assert (created, resubmitted) == (1, 1)
    assert WorkforceReturn.objects.get(authority__code="E08000029").agency_fte == Decimal("50.00")
    assert WorkforceReturn.objects.get(authority__code="E08000026").absence_rate == Decimal("4.20")
