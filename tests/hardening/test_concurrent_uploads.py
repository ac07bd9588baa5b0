"""The same timesheet file uploaded twice at the same moment is stored once (SPEC §6: two identical submissions at
the same moment → one stored), through the real page and API, on the real database, each upload in a thread of its
own. Nothing is mocked but the moment: both uploads have staged their rows before either compares or stores."""

import threading
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

import pytest
from rest_framework.test import APIClient

from compliance.models import AuditRun
from placements.models import Timesheet, TimesheetLine
from placements.timesheets import LineStaging
from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = date(2024, 1, 1)
HEADER = "placement,date,hours,pay_rate,charge_rate"


def csv_text(placements, hours="7.50"):
    """Three working weeks of each placement: 15 rows each."""
    days = [MONDAY + timedelta(weeks=n // 5, days=n % 5) for n in range(15)]
    rows = [f"{placement.pk},{day},{hours},30.00,40.00" for placement in placements for day in days]
    return "\r\n".join([HEADER, *rows]) + "\r\n"


@pytest.fixture
def both_staged(monkeypatch):
    """Each upload waits, once its rows are staged, for the other to have staged its own: the two are then in flight
    together, and whichever locks the placements first makes the other wait."""
    meeting = threading.Barrier(2, timeout=30)
    real_add = LineStaging.add

    def add_then_wait(self, rows):
        count = real_add(self, rows)
        meeting.wait()
        return count

    monkeypatch.setattr(LineStaging, "add", add_then_wait)
    monkeypatch.setattr("compliance.tasks.run_audit.delay", lambda run_id: None)  # no broker needed here


def upload_at_once(user, files, *, through):
    """Upload `files` (texts) in threads of their own, at once; [(status, answer)] in the order given."""
    answers, failures = [None] * len(files), []

    def upload(index, text):
        try:
            file = SimpleUploadedFile(f"lines{index}.csv", text.encode(), content_type="text/csv")
            if through == "api":
                api = APIClient()
                api.force_authenticate(user)
                response = api.post("/api/v1/timesheets/upload/", {"file": file}, format="multipart")
                answers[index] = (response.status_code, response.json())
            else:
                client = Client()
                client.force_login(user)
                response = client.post("/timesheets/upload/", {"file": file})
                answers[index] = (response.status_code, response.content.decode())
        except Exception as error:  # an assertion in a thread would be lost: reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(index, text)) for index, text in enumerate(files)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return answers


def test_the_same_file_uploaded_twice_at_once_through_the_api_is_stored_once(agency_a, agency_user, both_staged):
    placements = PlacementFactory.create_batch(2, agency=agency_a, start_date=MONDAY)
    text = csv_text(placements)

    answers = upload_at_once(agency_user, [text, text], through="api")

    assert [status for status, _body in answers] == [201, 201]
    counts = sorted(
        (body["timesheets_created"], body["timesheets_revised"], body["timesheets_unchanged"], body["lines_stored"])
        for _status, body in answers
    )
    assert counts == [(0, 0, 6, 0), (6, 0, 0, 30)]  # the second found the first's weeks and stored nothing
    assert all(body["weeks"] == 6 and body["rows"] == 30 for _status, body in answers)
    assert Timesheet.objects.count() == 6
    assert set(Timesheet.objects.values_list("revision", flat=True)) == {1}
    assert TimesheetLine.objects.count() == 30  # not doubled, nothing superseded
    assert not TimesheetLine.objects.filter(superseded_at__isnull=False).exists()
    assert AuditRun.objects.count() == 1


def test_the_same_file_uploaded_twice_at_once_on_the_page_is_stored_once(agency_a, agency_user, both_staged):
    placements = PlacementFactory.create_batch(2, agency=agency_a, start_date=MONDAY)
    text = csv_text(placements)

    answers = upload_at_once(agency_user, [text, text], through="page")

    assert [status for status, _page in answers] == [200, 200]
    pages = sorted(page for _status, page in answers)
    stored = [page for page in pages if "The file was stored" in page]
    unchanged = [
        page for page in pages if "Nothing new to store: every week in the file is already as submitted" in page
    ]
    assert len(stored) == len(unchanged) == 1
    assert "30 timesheet lines stored in 6 weeks:" in stored[0]
    assert "6 new weeks, 0 resubmitted weeks" in stored[0]
    assert "6 weeks unchanged: their lines in the file are exactly those already submitted" in unchanged[0]
    assert set(Timesheet.objects.values_list("revision", flat=True)) == {1}
    assert TimesheetLine.objects.count() == 30


def test_two_different_files_of_the_same_weeks_at_once_are_both_stored_whole_without_deadlock(
    agency_a, agency_user, both_staged
):
    placements = PlacementFactory.create_batch(2, agency=agency_a, start_date=MONDAY)
    # The second file lists the placements the other way round: the locks are still taken in the same order.
    first, second = csv_text(placements, hours="7.50"), csv_text(placements[::-1], hours="8.00")

    answers = upload_at_once(agency_user, [first, second], through="api")

    assert [status for status, _body in answers] == [201, 201]
    counts = sorted((body["timesheets_created"], body["timesheets_revised"]) for _status, body in answers)
    assert counts == [(0, 6), (6, 0)]
    assert set(Timesheet.objects.values_list("revision", flat=True)) == {2}
    current = TimesheetLine.objects.filter(superseded_at__isnull=True)
    assert current.count() == 30
    assert current.values_list("hours", flat=True).distinct().count() == 1  # one file's lines, never a mix
    assert TimesheetLine.objects.filter(superseded_at__isnull=False).count() == 30
