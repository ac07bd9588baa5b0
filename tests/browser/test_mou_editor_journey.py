"""Journey (SPEC §5, the coordinator): the MoU in the coordinator's hands. Start a draft from the version in force,
change a cap in the grid, read the draft's what-if on the same page, adopt it for a later date after the page that
says what will happen, and find it scheduled."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

import pytest
from playwright.sync_api import expect

from mou.models import MouVersion
from tests.factories import CapFactory, MouVersionFactory, PlacementFactory, role

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_coordinator_drafts_edits_reads_the_what_if_and_schedules_a_version(journey, coordinator):
    in_force = MouVersionFactory(name="April 2025", effective_from=date(2025, 4, 1), status=MouVersion.Status.IN_FORCE)
    CapFactory(version=in_force, role=role("SW"), max_pay_rate=Decimal("32.00"), max_charge_rate=Decimal("42.00"))
    # Paid £31.00: within the caps in force, above a draft's £30.00.
    PlacementFactory(start_date=date(2025, 6, 2), pay_rate="31.00", charge_rate="40.00")
    takes_effect = timezone.localdate() + timedelta(days=120)

    boss = journey.person(coordinator)
    page = boss.page
    page.goto("/mou-versions/")
    expect(page.get_by_role("heading", level=2, name="In force")).to_be_visible()
    page.get_by_role("button", name="Start a draft from April 2025").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit draft: Draft from April 2025")
    expect(page.locator("ul.messages")).to_contain_text("is a copy of April 2025")
    journey.shot(boss, "draft-started")

    page.get_by_label("Name").fill("Caps 2027")
    page.get_by_label("Effective from").fill(takes_effect.isoformat())
    pay = page.get_by_label("SW – Social worker, any engagement type: pay cap £/h")
    expect(pay).to_have_value("32.00")
    pay.fill("30.00")
    journey.shot(boss, "cap-changed")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("ul.messages")).to_contain_text("The draft “Caps 2027” is saved.")

    what_if = page.locator("section.what-if-summary")
    expect(what_if.get_by_role("heading", level=2)).to_contain_text("What-if")
    expect(what_if.locator(".card", has_text="would be above this draft").locator(".figure")).to_have_text("1")
    journey.shot(boss, "what-if-beside-the-grid")

    # A mistake is caught at the top of the page and beside its cell.
    page.get_by_label("SW – Social worker, any engagement type: charge cap £/h").fill("20.00")
    page.get_by_role("button", name="Save the draft").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_contain_text("The charge cap is below the pay cap (£30.00)")
    expect(summary).to_be_focused()  # read first by a screen reader
    journey.shot(boss, "error-summary")
    page.get_by_label("SW – Social worker, any engagement type: charge cap £/h").fill("40.00")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("ul.messages")).to_contain_text("The draft “Caps 2027” is saved.")

    page.get_by_role("button", name="Save and adopt…").click()
    expect(page.locator(".adoption")).to_contain_text(f"Scheduled for {takes_effect:%-d %B %Y}.")
    journey.shot(boss, "adopt-confirmation")
    page.get_by_label("Why (kept in the version's history)").fill("Agreed by the regional board")
    page.get_by_role("button", name="Adopt Caps 2027").click()

    expect(page.locator("ul.messages")).to_contain_text("Caps 2027 is scheduled: it binds work from")
    scheduled = page.locator("section#scheduled")
    expect(scheduled.get_by_role("heading", level=3)).to_contain_text("Caps 2027")
    journey.shot(boss, "scheduled")

    version = MouVersion.objects.get(name="Caps 2027")
    assert (version.status, version.effective_from) == ("scheduled", takes_effect)
    assert list(version.caps.values_list("max_pay_rate", "max_charge_rate")) == [(Decimal("30.00"), Decimal("40.00"))]
    assert MouVersion.objects.get(pk=in_force.pk).status == "in_force"
