"""Journey b (SPEC §5, coordinator and agency portal): an agency's timesheet above the cap queues an audit; the
coordinator watches the run finish, opens the new breach case from the queue, drafts a corrective action citing it
with one remedial action, and issues it; the agency user reads and signs it in the portal with their typed name.

The test plays the Celery worker (tests/browser/conftest.py): it performs the queued run with the audit service while
the coordinator's run page is open, and that page follows the run to its end by itself.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core import mail
from django.utils import timezone

import pytest
from playwright.sync_api import expect

from compliance.models import AuditRun, Breach, CorrectiveAction
from placements.timesheets import timesheet_submit
from tests.browser.conftest import run_queued_audits
from tests.factories import CapFactory, MouVersionFactory, PlacementFactory, WorkerFactory, role

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_coordinator_drafts_and_issues_a_corrective_action_that_the_agency_signs(
    journey, coordinator, agency_user, solihull
):
    version = MouVersionFactory(name="Agency Protocol 2024", effective_from=date(2024, 4, 1), status="in_force")
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    placement = PlacementFactory(
        agency=agency_user.agency,
        authority=solihull,
        worker=WorkerFactory(swe_number="SW777001"),
        start_date=date(2025, 1, 6),
        pay_rate=Decimal("24.00"),
        charge_rate=Decimal("32.00"),
    )
    # Two days paid £27.00/h against the £25.00 cap: £2.00 over for 15 hours, £30.00 in all.
    timesheet_submit(
        placement=placement,
        week_ending=date(2025, 1, 12),
        lines=[
            {"date": date(2025, 1, 6), "hours": "7.50", "pay_rate": "27.00", "charge_rate": "32.00"},
            {"date": date(2025, 1, 7), "hours": "7.50", "pay_rate": "27.00", "charge_rate": "32.00"},
        ],
        by=agency_user,
    )
    run = AuditRun.objects.get(status="queued")
    agency_user.email = "alex@alpha-locums.example"
    agency_user.save(update_fields=["email"])

    # The coordinator opens the queued run, and watches it.
    boss = journey.person(coordinator)
    page = boss.page
    page.locator("header nav").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit runs")
    journey.shot(boss, "audit-runs")
    page.get_by_role("link", name=f"Run {run.pk}").click()
    expect(page.locator(".audit-status")).to_contain_text("Queued")
    journey.shot(boss, "audit-run-queued")

    [finished] = run_queued_audits()  # the worker's part
    assert finished.breaches_found == 1
    # audit-progress.js polls every 2 s and fills in the run's end without a reload.
    expect(page.locator(".audit-status")).to_contain_text("Finished", timeout=10_000)
    expect(page.locator("[data-audit-field=breaches_found]")).to_have_text("1")
    expect(page.locator("[data-audit-field=lines_checked]")).to_have_text("2")
    journey.shot(boss, "audit-run-finished")

    # The new case, from the queue.
    breach = Breach.objects.get()
    page.locator("header nav").get_by_role("link", name="Breaches").click()
    row = page.locator("table.queue tbody tr", has_text=f"No. {breach.pk}")
    expect(row).to_contain_text("Alpha Locums Ltd")
    expect(row).to_contain_text("SW777001")
    expect(row).to_contain_text("£30.00")
    journey.shot(boss, "breach-queue")
    row.get_by_role("link", name=f"No. {breach.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Breach case No. {breach.pk}: Pay rate above the cap")
    expect(page.locator("main")).to_contain_text("£30.00 over 15.00 hours on 2 timesheet lines")
    journey.shot(boss, "breach-case")

    # Draft a corrective action citing it, with one remedial action.
    due = timezone.localdate() + timedelta(days=28)
    page.get_by_role("link", name="Draft a corrective action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft a corrective action with Alpha Locums Ltd")
    expect(page.get_by_label(f"Breach {breach.pk}: Pay rate above the cap", exact=False)).to_be_checked()
    page.get_by_label("The agreement").fill("Alpha Locums paid SW777001 £27.00/h at Solihull, over the £25.00 cap.")
    page.locator("#id_items-0-description").fill("Repay Solihull the £30.00 charged above the cap")
    page.locator("#id_items-0-due_on").fill(due.isoformat())
    journey.shot(boss, "draft-filled")
    page.get_by_role("button", name="Save as a draft").click()

    action = CorrectiveAction.objects.get()
    messages = page.locator("ul.messages")
    expect(messages).to_contain_text(f"Corrective action {action.pk} drafted")
    expect(page.locator("h1 .status")).to_have_text("Draft")
    journey.shot(boss, "draft-saved")
    page.get_by_role("link", name="Issue to Alpha Locums Ltd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Issue corrective action {action.pk} to Alpha Locums Ltd?"
    )
    journey.shot(boss, "issue-confirm")
    page.get_by_role("button", name="Issue to Alpha Locums Ltd").click()
    expect(messages).to_contain_text(f"Corrective action {action.pk} issued: Alpha Locums Ltd's users were emailed")
    expect(page.locator("h1 .status")).to_have_text("Issued")
    journey.shot(boss, "issued")
    issued = [m for m in mail.outbox if m.subject == f"Corrective action {action.pk} to sign: Alpha Locums Ltd"]
    assert [m.to for m in issued] == [["alex@alpha-locums.example"]]

    # The agency user reads and signs it in the portal.
    agency = journey.person(agency_user)
    page = agency.page
    page.locator("header nav").get_by_role("link", name="Corrective actions").click()
    row = page.locator("table tbody tr", has=page.get_by_role("link", name=str(action.pk), exact=True))
    expect(row).to_contain_text("Issued")
    journey.shot(agency, "agency-corrective-actions")
    row.get_by_role("link", name="Read and sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Read and sign corrective action {action.pk}")
    expect(page.locator("main")).to_contain_text("Repay Solihull the £30.00 charged above the cap")
    page.get_by_label("Your full name").fill("Alex Agent")
    page.get_by_label("I have read this agreement and sign it on behalf of Alpha Locums Ltd").check()
    journey.shot(agency, "sign-filled")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("ul.messages")).to_contain_text(
        f"Thank you: you signed corrective action {action.pk} on behalf of Alpha Locums Ltd."
    )
    expect(page.locator("main div.success")).to_contain_text("Signed by Alex Agent on behalf of Alpha Locums Ltd")
    journey.shot(agency, "signed")

    # The coordinator's page of the action now shows the signature.
    boss.page.reload()
    expect(boss.page.locator("h1 .status")).to_have_text("Signed")
    expect(boss.page.locator("main")).to_contain_text("Signed by Alex Agent")
    journey.shot(boss, "coordinator-sees-signature")

    action.refresh_from_db()
    assert (action.status, action.signed_name, action.signed_by, action.signed_ip) == (
        "signed",
        "Alex Agent",
        agency_user,
        "127.0.0.1",
    )
