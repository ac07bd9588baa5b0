"""Journey c (SPEC §5, coordinator and councils): the coordinator suspends an agency with a reason; a council user
finds it suspended on the agencies page, and the agency itself is refused a new placement with that reason."""

import pytest
from playwright.sync_api import expect

from agencies.models import Agency, Suspension

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REASON = "Repeated pay above the cap at Solihull and a corrective action not signed."


def test_coordinator_suspends_an_agency_and_a_council_sees_its_standing(
    journey, coordinator, council_user, agency_user, agency_b
):
    agency = agency_user.agency

    boss = journey.person(coordinator)
    page = boss.page
    page.locator("header nav").get_by_role("link", name="Agencies").click()
    page.get_by_role("link", name="Alpha Locums Ltd").click()
    expect(page.locator(".standing-panel h2")).to_have_text("Standing: Approved")
    journey.shot(boss, "agency-approved")

    page.get_by_role("link", name="Suspend", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspend Alpha Locums Ltd")
    page.get_by_label("Ongoing").check()
    page.get_by_label("Reason").fill(REASON)
    journey.shot(boss, "suspend-form-filled")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you suspend Alpha Locums Ltd")
    journey.shot(boss, "suspend-confirm")
    page.get_by_role("button", name="Suspend Alpha Locums Ltd").click()

    expect(page.locator("ul.messages")).to_contain_text(
        "Alpha Locums Ltd is suspended from today. Every council's users and the agency have been emailed."
    )
    panel = page.locator(".standing-panel")
    expect(panel.locator("h2")).to_have_text("Standing: Suspended")
    expect(panel).to_contain_text(f"until the coordinator lifts it. Why: {REASON}")
    journey.shot(boss, "agency-suspended")

    # A council user reads every agency's standing.
    council = journey.person(council_user)
    page = council.page
    page.locator("header nav").get_by_role("link", name="Agencies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agencies and their standing")
    alpha = page.locator("table.list tbody tr", has_text="Alpha Locums Ltd")
    expect(alpha.locator("td").nth(2)).to_have_text("Suspended")
    expect(alpha.locator("td").nth(3)).to_contain_text("Ongoing, since")
    expect(alpha.locator("td").nth(3)).to_contain_text("until lifted")
    beta = page.locator("table.list tbody tr", has_text="Beta Social Care Staffing Ltd")
    expect(beta.locator("td").nth(2)).to_have_text("Approved")
    journey.shot(council, "council-agencies-page")

    # The agency is refused a new placement, and told why.
    portal = journey.person(agency_user)
    page = portal.page
    page.goto("/placements/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot register new placements")
    expect(page.get_by_role("alert")).to_contain_text(
        f"Alpha Locums Ltd is suspended and cannot register new placements. Reason: {REASON}"
    )
    journey.shot(portal, "agency-refused-a-placement")

    agency.refresh_from_db()
    assert agency.standing == Agency.Standing.SUSPENDED
    suspension = Suspension.objects.get(agency=agency)
    assert (suspension.kind, suspension.reason, suspension.ends_on) == ("ongoing", REASON, None)
