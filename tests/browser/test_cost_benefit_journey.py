"""The cost-benefit model (SPEC §5, dashboards): an analyst fills the model with the region's own figures, sees where
each input came from, changes one and sees the result change; a council reads it without the inputs to change."""

import pytest
from playwright.sync_api import expect

from tests.factories import WorkforceReturnFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_an_analyst_uses_the_regions_figures_and_changes_one(journey, analyst, council_user, solihull, coventry):
    WorkforceReturnFactory(authority=solihull)
    WorkforceReturnFactory(authority=coventry, permanent_fte="220.00", agency_fte="55.00", leavers_fte="33.00")

    person = journey.person(analyst)
    page = person.page
    page.locator("header nav").get_by_role("link", name="Dashboards").click()
    page.get_by_role("link", name="Cost-benefit model").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cost-benefit model")
    expect(page.locator('[data-figure="present_value_costs"]')).to_have_text("£2,941,328")
    expect(page.locator('[data-figure="benefit_cost_ratio"]')).to_have_text("0.00")

    page.get_by_role("link", name="Use this region's figures").click()
    employed = page.get_by_label("Employed social workers in 2017/18 (FTE)")
    expect(employed).to_have_value("400")
    expect(employed).to_have_accessible_description(
        "Source: the councils' returns for 30 September 2024 (2 authorities)."
    )
    expect(page.get_by_label("Looked after children in 2017/18")).to_have_accessible_description(
        "Source: the evaluation (2020)."
    )
    journey.shot(person, "region-figures")

    change = page.get_by_label("Change in agency workers with the programme (FTE)")
    change.fill("0,0,0,-64,-64,-64")
    page.get_by_role("button", name="Recalculate").click()
    expect(page.locator('[data-figure="benefit_cost_ratio"]')).to_have_text("1.03")
    expect(page.get_by_label("Change in agency workers with the programme (FTE)")).to_have_accessible_description(
        "Six values, 2017/18 first: negative for fewer agency workers, brought in house. Source: typed here."
    )
    expect(employed).to_have_value("400")  # still the region's
    journey.shot(person, "recalculated")

    # A refused value: the error summary at the top links to the field.
    change.fill("0,0,-64")
    page.get_by_role("button", name="Recalculate").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link").click()
    expect(page.get_by_label("Change in agency workers with the programme (FTE)")).to_be_focused()
    journey.shot(person, "refused")

    council = journey.person(council_user)
    council.page.goto("/dashboards/cost-benefit/")
    expect(council.page.locator('[data-figure="present_value_costs"]')).to_have_text("£2,941,328")
    expect(council.page.get_by_role("button", name="Recalculate")).to_have_count(0)
