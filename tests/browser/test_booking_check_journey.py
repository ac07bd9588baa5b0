"""Journey (SPEC §4 at booking, §5 agency portal): an agency user fills in a placement; as the form fills, the booking
check says every rule's answer (one reference short, then none short once the second is typed), storing nothing;
then registers it and finds the references on the placement's page."""

from datetime import date

import pytest
from playwright.sync_api import expect

from mou.models import MouVersion
from placements.models import Placement, Reference

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_booking_check_answers_as_the_form_is_filled_in(journey, versions, agency_user, solihull):
    MouVersion.objects.filter(pk=versions["2025"].pk).update(min_references=2)
    agency = journey.person(agency_user)
    page = agency.page
    page.goto("/placements/new/")
    page.get_by_label("Council or trust").select_option(label=solihull.name)
    page.get_by_label("Role", exact=True).select_option("SW")
    page.get_by_label("Worker's Social Work England registration number").fill("SW700123")
    page.get_by_label("Worker's date of qualification").fill("2015-01-10")
    page.get_by_label("Start date").fill("2025-06-02")
    page.get_by_label("Hourly pay rate (£)").fill("25.50")
    page.get_by_label("Hourly charge rate (£)").fill("33.00")
    first = page.get_by_role("group", name="First practice-based reference")
    first.get_by_label("Referee's name").fill("Ann Lee")
    first.get_by_label("Referee's role").fill("Team manager")
    first.get_by_label("Organisation").fill("Dudley Council")
    first.get_by_label("Date of the reference").fill("2025-05-01")

    answer = page.locator("#booking-check")
    expect(answer).to_contain_text("This placement would break the MoU")
    expect(answer).to_contain_text("1 practice-based reference dated by the start; at least 2 are needed")
    journey.shot(agency, "one-reference-short")

    second = page.get_by_role("group", name="Second practice-based reference")
    second.get_by_label("Referee's name").fill("Raj Patel")
    second.get_by_label("Referee's role").fill("Practice supervisor")
    second.get_by_label("Organisation").fill("Walsall Council")
    second.get_by_label("Date of the reference").fill("2025-05-20")
    expect(answer).to_contain_text("No rule stops this placement")
    expect(answer).to_contain_text("2 practice-based references dated by the start (2 needed)")
    journey.shot(agency, "every-rule-passes")
    assert not Placement.objects.exists() and not Reference.objects.exists()

    page.get_by_role("button", name="Register the placement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SW700123")
    expect(page.locator("main")).to_contain_text("Raj Patel")
    journey.shot(agency, "registered")
    placement = Placement.objects.get()
    assert placement.start_date == date(2025, 6, 2)
    assert placement.references.count() == 2
