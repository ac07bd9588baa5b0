"""The journeys again with the keyboard only (WCAG 2.1.1): no click, no mouse. Each control is reached with Tab (never
more than a page's worth of presses), links and buttons are followed with Enter, boxes and radios with Space, and
text typed where the focus is. The focus must always be visible and land where the person expects: on the error
summary when a form is refused.

- The coordinator suspends an agency (form, a refusal, the check page, the warning button).
- An agency signs a corrective action (the link in its worklist, the agreement's form).
- An agency uploads a timesheet file (the file chooser opened from the keyboard).
"""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from agencies.models import Suspension
from compliance.models import CorrectiveAction
from tests.factories import BreachFactory, CorrectiveActionFactory, CorrectiveActionItemFactory, PlacementFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MAX_TABS = 120


def tab_to(page, locator, *, backwards=False):
    """Press Tab until `locator` has the focus; fail if it is not reached within MAX_TABS presses, or if the focused
    element shows no focus indicator."""
    target = locator.element_handle()
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("el => document.activeElement === el", target):
            outline = page.evaluate(
                "el => { const s = getComputedStyle(el); return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }",
                target,
            )
            assert outline, f"{locator} has the focus but shows no focus indicator"
            return
    raise AssertionError(f"{locator} was not reached with {MAX_TABS} presses of Tab")


def test_the_coordinator_suspends_an_agency_with_the_keyboard_only(journey, coordinator, agency_user):
    boss = journey.person(coordinator)
    page = boss.page
    page.goto("/agencies/")
    tab_to(page, page.get_by_role("link", name="Alpha Locums Ltd"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Suspend", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspend Alpha Locums Ltd")

    # Sent with nothing chosen: the error summary takes the focus, and its link leads to the field.
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    journey.shot(boss, "keyboard-suspend-refused")

    # A radio group is one stop for Tab; the arrow keys choose within it.
    tab_to(page, page.locator("input[name=kind]").first)
    for _ in range(3):
        if page.get_by_label("Ongoing").is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Ongoing")).to_be_checked()
    tab_to(page, page.get_by_label("Reason"))
    page.keyboard.type("Repeated pay above the cap.")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you suspend Alpha Locums Ltd")
    tab_to(page, page.get_by_role("button", name="Suspend Alpha Locums Ltd"))
    page.keyboard.press("Enter")
    expect(page.locator(".standing-panel h2")).to_have_text("Standing: Suspended")
    journey.shot(boss, "keyboard-suspended")
    assert Suspension.objects.get().reason == "Repeated pay above the cap."


def test_an_agency_signs_a_corrective_action_with_the_keyboard_only(journey, coordinator, agency_user, solihull):
    placement = PlacementFactory(agency=agency_user.agency, authority=solihull)
    case = BreachFactory(placement=placement, status="corrective_action", excess_amount=Decimal("30.00"))
    action = CorrectiveActionFactory(agency=agency_user.agency, status=CorrectiveAction.Status.ISSUED, breaches=[case])
    CorrectiveActionItemFactory(corrective_action=action, due_on=date(2099, 1, 1))

    agency = journey.person(agency_user)
    page = agency.page
    # From the worklist on the home page.
    tab_to(page, page.get_by_role("link", name="Corrective actions awaiting your signature"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Read and sign"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Read and sign corrective action {action.pk}")
    tab_to(page, page.get_by_label("Your full name"))
    page.keyboard.type("Alex Agent")
    tab_to(page, page.get_by_label("I have read this agreement and sign it on behalf of Alpha Locums Ltd"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Sign the agreement"))
    page.keyboard.press("Enter")
    expect(page.locator("ul.messages")).to_contain_text(f"Thank you: you signed corrective action {action.pk}")
    journey.shot(agency, "keyboard-signed")
    action.refresh_from_db()
    assert (action.status, action.signed_name) == ("signed", "Alex Agent")


def test_an_agency_uploads_a_timesheet_file_with_the_keyboard_only(journey, agency_user, solihull, tmp_path):
    placement = PlacementFactory(agency=agency_user.agency, authority=solihull, start_date=date(2025, 1, 6))
    csv = tmp_path / "week.csv"
    csv.write_text(
        "placement,date,hours,pay_rate,charge_rate\n"
        + "".join(f"{placement.pk},2025-01-{day:02d},7.5,30.00,40.00\n" for day in range(6, 11))
    )
    portal = journey.person(agency_user)
    page = portal.page
    tab_to(page, page.locator("header nav").get_by_role("link", name="Upload timesheets"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file of timesheet lines")
    tab_to(page, page.locator("input[type=file]"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(csv))
    tab_to(page, page.get_by_role("button", name="Check and upload"))
    page.keyboard.press("Enter")
    expect(page.locator("main .success")).to_contain_text("The file was stored")
    journey.shot(portal, "keyboard-uploaded")
    assert placement.timesheets.count() == 1
