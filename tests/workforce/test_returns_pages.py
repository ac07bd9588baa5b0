"""Workforce return pages: submit, resubmit (history keeps the old figures), the list, and the upload of a file."""

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest
from openpyxl import Workbook
from pghistory.models import Events

from tests.factories import WorkforceReturnFactory, authority
from workforce.models import WorkforceReturn

pytestmark = pytest.mark.django_db

NEW = reverse("workforce:return-new")
LIST = reverse("workforce:returns")
UPLOAD = reverse("workforce:return-upload")
HEADER = "authority,period_end,permanent_fte,agency_fte,vacancies_fte,leavers_fte,absence_rate"


def figures(**overrides):
    return {
        "period_end": "2025-03-31",
        "permanent_fte": "180",
        "agency_fte": "45",
        "vacancies_fte": "20",
        "leavers_fte": "27",
        "absence_rate": "3.1",
        **overrides,
    }


def csv_file(*lines, name="returns.csv"):
    return SimpleUploadedFile(name, "\n".join([HEADER, *lines]).encode(), content_type="text/csv")


# --- The form


def test_a_council_submits_its_return_and_sees_its_rates_in_the_list(client, council_user):
    client.force_login(council_user)
    response = client.post(NEW, figures())
    assert response.status_code == 302
    workforce_return = WorkforceReturn.objects.get()
    assert workforce_return.authority.code == "E08000029"
    assert workforce_return.submitted_by == council_user
    assert (workforce_return.agency_rate, workforce_return.turnover_rate, workforce_return.vacancy_rate) == (
        Decimal("20.0"),
        Decimal("15.0"),
        Decimal("10.0"),
    )
    page = client.get(LIST).content.decode()
    assert "31 Mar 2025" in page and "20.0" in page and "15.0" in page and "10.0" in page


def test_a_council_posting_another_authority_still_submits_for_its_own(client, council_user, coventry):
    client.force_login(council_user)
    client.post(NEW, figures(authority=coventry.pk))
    assert list(WorkforceReturn.objects.values_list("authority__code", flat=True)) == ["E08000029"]


def test_the_coordinator_submits_for_any_authority(client, coordinator, coventry):
    client.force_login(coordinator)
    assert client.post(NEW, figures(authority=coventry.pk)).status_code == 302
    assert WorkforceReturn.objects.get().authority == coventry


def test_negative_fte_a_future_period_and_an_absence_above_100_are_refused_beside_their_fields(client, council_user):
    client.force_login(council_user)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(NEW, figures(agency_fte="-1", period_end=tomorrow, absence_rate="101"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["agency_fte"] == ["An FTE cannot be negative."]
    assert errors["absence_rate"] == ["A rate is between 0 and 100."]
    assert errors["period_end"] == ["The period end is in the future: a return is made once its period has ended."]
    assert not WorkforceReturn.objects.exists()


def test_resubmitting_replaces_the_figures_and_history_keeps_the_old_ones(client, council_user):
    workforce_return = WorkforceReturnFactory(submitted_by=council_user)
    client.force_login(council_user)
    response = client.post(
        reverse("workforce:return-edit", args=[workforce_return.pk]),
        figures(period_end="2020-01-01", agency_fte="20"),  # the period end cannot move
    )
    assert response.status_code == 302
    workforce_return.refresh_from_db()
    assert workforce_return.period_end == date(2024, 9, 30)
    assert workforce_return.agency_fte == Decimal("20.00")
    assert WorkforceReturn.objects.count() == 1
    events = Events.objects.tracks(workforce_return).order_by("pgh_id")
    assert [Decimal(str(event.pgh_data["agency_fte"])) for event in events] == [Decimal("45"), Decimal("20")]
    assert events.last().pgh_data["submitted_by_id"] == council_user.pk
    history = client.get(reverse("history", args=["workforce", "workforcereturn", workforce_return.pk]))
    assert history.status_code == 200
    assert "45.00" in history.content.decode() and "20.00" in history.content.decode()


def test_submitting_a_period_already_returned_is_a_resubmission(client, council_user):
    WorkforceReturnFactory(period_end=date(2025, 3, 31))
    client.force_login(council_user)
    client.post(NEW, figures(agency_fte="30"))
    assert WorkforceReturn.objects.get().agency_fte == Decimal("30.00")


def test_a_council_cannot_open_another_authoritys_return(client, council_user, coventry):
    other = WorkforceReturnFactory(authority=coventry)
    client.force_login(council_user)
    assert client.get(reverse("workforce:return-edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("workforce:return-edit", args=[other.pk]), figures()).status_code == 404


@pytest.mark.parametrize("persona", ["analyst", "agency_user"])
def test_analysts_and_agencies_cannot_submit(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, figures(authority=authority().pk)).status_code == 403
    assert client.post(UPLOAD, {"file": csv_file("E08000029,2025-03-31,1,1,1,1,")}).status_code == 403
    assert not WorkforceReturn.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in (LIST, NEW, UPLOAD, reverse("workforce:trends")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- The list


def test_a_council_lists_only_its_own_returns(client, council_user, coventry):
    WorkforceReturnFactory(absence_rate=Decimal("3.33"))
    WorkforceReturnFactory(authority=coventry, absence_rate=Decimal("7.77"))
    client.force_login(council_user)
    page = client.get(LIST).content.decode()
    assert "3.33" in page and "7.77" not in page


def test_analysts_list_every_authoritys_returns_and_filter_them(client, analyst, coventry):
    WorkforceReturnFactory(absence_rate=Decimal("3.33"))
    WorkforceReturnFactory(authority=coventry, absence_rate=Decimal("7.77"), period_end=date(2023, 3, 31))
    client.force_login(analyst)
    page = client.get(LIST).content.decode()
    assert "3.33" in page and "7.77" in page and "/edit/" not in page
    filtered = client.get(LIST, {"authority": "E08000026"}).content.decode()
    assert "7.77" in filtered and "3.33" not in filtered
    by_date = client.get(LIST, {"period_end_after": "2024-01-01"}).content.decode()
    assert "3.33" in by_date and "7.77" not in by_date


def test_the_list_takes_the_same_queries_for_one_return_or_forty(client, coordinator, django_assert_num_queries):
    client.force_login(coordinator)
    WorkforceReturnFactory()
    # savepoint (ATOMIC_REQUESTS), session, user, count, the authorities of the filter, the page of returns (with
    # authority and submitter), release
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200
    for n in range(1, 40):
        WorkforceReturnFactory(period_end=date(2015, 1, 1) + timedelta(days=n))
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 40


# --- The upload


def test_an_upload_stores_every_row_and_resubmits_returned_periods(client, coordinator):
    WorkforceReturnFactory(period_end=date(2025, 3, 31), agency_fte=Decimal("99"))
    client.force_login(coordinator)
    response = client.post(
        UPLOAD,
        {
            "file": csv_file(
                "E08000029,2025-03-31,180,45,20,27,3.1",
                "E08000026,31/03/2025,300.5,50,40,45,",
                "",  # a blank row is skipped
                "E08000029,2024-12-31,178,47,22,26,3.0",
            )
        },
    )
    assert response.status_code == 200
    assert response.context["result"].rows == 3
    assert (response.context["result"].created, response.context["result"].resubmitted) == (2, 1)
    assert WorkforceReturn.objects.count() == 3
    solihull = WorkforceReturn.objects.get(authority__code="E08000029", period_end=date(2025, 3, 31))
    assert solihull.agency_fte == Decimal("45.00") and solihull.submitted_by == coordinator
    coventry = WorkforceReturn.objects.get(authority__code="E08000026")
    assert coventry.permanent_fte == Decimal("300.50") and coventry.absence_rate is None
    assert Events.objects.tracks(solihull).count() == 2  # created, then resubmitted by the file


def test_a_file_with_any_bad_row_stores_nothing_and_names_every_bad_row(client, council_user):
    client.force_login(council_user)
    response = client.post(
        UPLOAD,
        {
            "file": csv_file(
                "E08000029,2025-03-31,180,45,20,27,3.1",
                "E08000026,2025-03-31,180,45,20,27,3.1",
                "E99999999,2025-03-31,180,45,20,27,3.1",
                "E08000029,2024-12-31,180,-4,20,lots,3.1",
                "E08000029,31/03/2025,1,1,1,1,",
            )
        },
    )
    assert response.status_code == 400
    assert [(e["row"], e["column"], e["message"]) for e in response.context["rejected"].errors] == [
        (3, "authority", "You can only submit returns for your own authority."),
        (4, "authority", "unknown authority code 'E99999999'"),
        (5, "agency_fte", "An FTE cannot be negative."),
        (5, "leavers_fte", "Enter a number."),
        (6, "period_end", "a second return for Solihull for 31/03/2025 (row 2 has one)"),
    ]
    assert "nothing was stored" in response.content.decode()
    assert not WorkforceReturn.objects.exists()


def test_a_file_missing_a_column_is_refused_as_a_whole(client, council_user):
    client.force_login(council_user)
    bad = SimpleUploadedFile("r.csv", b"authority,period_end,permanent_fte\nE08000029,2025-03-31,1\n")
    response = client.post(UPLOAD, {"file": bad})
    assert response.status_code == 400
    [error] = response.context["rejected"].errors
    assert error["row"] is None
    assert error["message"].endswith("missing: agency_fte, vacancies_fte, leavers_fte.")


def test_an_excel_file_is_read_like_a_csv(client, council_user):
    book = Workbook()
    sheet = book.active
    sheet.append(["Authority", "Period end", "Permanent FTE", "Agency FTE", "Vacancies FTE", "Leavers FTE"])
    sheet.append(["E08000029", date(2025, 3, 31), 180, 45.5, 20, 27])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(council_user)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("r.xlsx", buffer.getvalue())})
    assert response.status_code == 200, response.context["rejected"].errors
    assert WorkforceReturn.objects.get().agency_fte == Decimal("45.50")


def test_the_template_names_the_councils_own_authority(client, council_user):
    client.force_login(council_user)
    lines = client.get(reverse("workforce:return-upload-template")).content.decode().splitlines()
    assert lines[0] == HEADER
    assert lines[1].startswith("E08000029,")
