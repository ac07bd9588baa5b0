"""The audit pages: the coordinator starts a run and watches it; analysts read; nobody else sees them."""

from django.utils import timezone

import pytest

from compliance.models import AuditRun
from tests.factories import AuditRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(coordinator):
    finished = AuditRunFactory(
        trigger="nightly",
        status=AuditRun.Status.FINISHED,
        progress=100,
        lines_checked=84_213,
        breaches_found=17,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    running = AuditRunFactory(
        trigger="manual",
        requested_by=coordinator,
        status=AuditRun.Status.RUNNING,
        progress=40,
        lines_checked=1_200,
        started_at=timezone.now(),
    )
    return finished, running


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_non_coordinators_get_403_on_starting_an_audit(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.post("/audit/start/").status_code == 403
    assert AuditRun.objects.count() == 0


def test_the_coordinator_starts_an_audit_and_is_taken_to_its_page(
    client, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/audit/start/")
    run = AuditRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/audit/{run.pk}/"
    assert (run.status, run.trigger, run.requested_by) == ("queued", "manual", coordinator)
    assert len(callbacks) == 1  # the Celery task is sent once the request's transaction commits


def test_starting_an_audit_needs_a_post(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/audit/start/").status_code == 405
    assert AuditRun.objects.count() == 0


def test_a_second_start_while_one_is_queued_joins_it(client, coordinator, analyst):
    queued = AuditRunFactory(trigger="timesheet", requested_by=analyst)
    client.force_login(coordinator)
    response = client.post("/audit/start/", follow=True)
    assert response.redirect_chain == [(f"/audit/{queued.pk}/", 302)]
    assert AuditRun.objects.count() == 1
    assert f"An audit was already waiting to run (run {queued.pk})" in response.content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "analyst"])
def test_the_audit_page_lists_runs(client, persona, request, runs):
    finished, running = runs
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/audit/")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [running, finished]
    page = response.content.decode()
    assert "84,213" in page and "Running" in page and "Finished" in page
    assert '<progress max="100" value="40"' in page
    assert ("Run an audit now" in page) == (persona == "coordinator")


@pytest.mark.parametrize("persona", ["council_user", "agency_user"])
def test_councils_and_agencies_get_403_on_the_audit_pages(client, persona, request, runs):
    _, running = runs
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{running.pk}/").status_code == 403
    assert client.get(f"/audit/{running.pk}/progress.json").status_code == 403


def test_a_running_audits_page_follows_its_progress(client, analyst, runs):
    _, running = runs
    client.force_login(analyst)
    page = client.get(f"/audit/{running.pk}/").content.decode()
    assert '<script src="/static/js/audit-progress.js" defer></script>' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert f'data-audit-progress-url="/audit/{running.pk}/progress.json"' in page


def test_a_finished_audits_page_stops_refreshing(client, analyst, runs):
    finished, _ = runs
    client.force_login(analyst)
    page = client.get(f"/audit/{finished.pk}/").content.decode()
    assert "audit-progress.js" not in page
    assert "http-equiv" not in page
    assert 'data-audit-field="breaches_found" data-audit-number>17<' in page


def test_the_progress_json_reports_status_progress_and_counts(client, coordinator, runs):
    _, running = runs
    client.force_login(coordinator)
    data = client.get(f"/audit/{running.pk}/progress.json").json()
    assert {k: data[k] for k in ("status", "progress", "lines_checked", "breaches_found", "done")} == {
        "status": "running",
        "progress": 40,
        "lines_checked": 1200,
        "breaches_found": 0,
        "done": False,
    }


def test_an_unknown_run_is_a_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/audit/999999/").status_code == 404
    assert client.get("/audit/999999/progress.json").status_code == 404
