"""The home page's worklist: what needs each person now, counted in their own scope, each item linking to the list
it counts (the list behind the link holds exactly that many)."""

from datetime import timedelta

from django.utils import timezone

import pytest

from compliance.models import AuditRun, Breach, CorrectiveAction
from placements.timesheets.values import last_full_week_ending
from tests.factories import (
    BreachFactory,
    CorrectiveActionFactory,
    CorrectiveActionItemFactory,
    PlacementFactory,
    QueryFactory,
    SuspensionFactory,
    TimesheetFactory,
    WorkforceReturnFactory,
)

pytestmark = pytest.mark.django_db


def items_of(client):
    response = client.get("/")
    assert response.status_code == 200
    return {item.label: item for item in response.context["worklist"]}


def listed(client, url):
    """How many rows the list behind `url` holds (every list page is paginated the same way)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.fixture
def region(agency_a, agency_b, solihull, coventry, coordinator):
    today = timezone.localdate()
    at_solihull = PlacementFactory(agency=agency_a, authority=solihull, start_date=today - timedelta(days=200))
    at_coventry = PlacementFactory(agency=agency_b, authority=coventry, start_date=today - timedelta(days=200))
    new = BreachFactory(placement=at_solihull)  # unassigned
    old = BreachFactory(placement=at_solihull, assignee=coordinator)
    Breach.objects.filter(pk=old.pk).update(detected_at=timezone.now() - timedelta(days=45))
    BreachFactory(placement=at_coventry)  # unassigned, another council's
    BreachFactory(placement=at_coventry, status=Breach.Status.RESOLVED)  # not on anyone's list
    issued = CorrectiveActionFactory(agency=agency_a, status=CorrectiveAction.Status.ISSUED, breaches=[new])
    CorrectiveActionItemFactory(corrective_action=issued, due_on=today + timedelta(days=5))
    late = CorrectiveActionFactory(agency=agency_b, status=CorrectiveAction.Status.ISSUED)
    CorrectiveActionItemFactory(corrective_action=late, due_on=today - timedelta(days=2))
    CorrectiveActionFactory(agency=agency_b)  # a draft
    SuspensionFactory(agency=agency_b, starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=12))
    QueryFactory()
    # Agency A's Solihull placement sent last week's timesheet; agency B's did not.
    TimesheetFactory(placement=at_solihull, week_ending=last_full_week_ending(today))
    return {"at_solihull": at_solihull, "at_coventry": at_coventry}


def test_the_coordinators_worklist_counts_the_region_and_each_link_lists_what_it_counts(client, coordinator, region):
    AuditRun.objects.create(status=AuditRun.Status.FINISHED, finished_at=timezone.now(), breaches_found=4)
    client.force_login(coordinator)
    items = items_of(client)
    counts = {label: item.count for label, item in items.items()}
    assert counts["Breach cases nobody has taken"] == 2
    assert counts["Breach cases assigned to you"] == 1
    assert counts["Breach cases open more than 30 days"] == 1
    assert counts["Corrective actions drafted, not yet issued"] == 1
    assert counts["Corrective actions awaiting the agency's signature"] == 2
    assert counts["Corrective actions with a remedial action due in the next 14 days"] == 1
    assert counts["Corrective actions overdue"] == 1
    assert counts["Suspensions ending in the next 30 days"] == 1
    assert counts["Questions waiting for an answer"] == 1
    week = last_full_week_ending(timezone.localdate())
    assert counts[f"Placements that worked the week ending {week:%-d %B} with no timesheet yet"] == 1
    for item in items.values():
        assert listed(client, item.url) == item.count, item.label
    page = client.get("/").content.decode()
    assert "Last audit:" in page and "4 new cases" in page


def test_a_councils_worklist_is_its_own_authoritys(client, council_user, region):
    client.force_login(council_user)
    items = items_of(client)
    assert items["Open breach cases"].count == 2  # Solihull's two, not Coventry's
    assert "Breach cases assigned to you" not in items and "Questions waiting for an answer" not in items
    assert items["Corrective actions with a remedial action due in the next 14 days"].count == 1
    assert items["Corrective actions overdue"].count == 0  # agency B's late agreement cites no Solihull case
    for label, item in items.items():
        if not label.startswith("Workforce return"):
            assert listed(client, item.url) == item.count, label
    (return_item,) = [item for label, item in items.items() if label.startswith("Workforce return")]
    assert return_item.count == 1 and return_item.url == "/workforce/returns/new/"
    assert "Last audit" not in client.get("/").content.decode()


def test_a_council_that_sent_its_return_sees_it_done(client, council_user, solihull):
    from home.selectors import last_quarter_end

    WorkforceReturnFactory(authority=solihull, period_end=last_quarter_end(timezone.localdate()))
    client.force_login(council_user)
    (return_item,) = [item for label, item in items_of(client).items() if label.startswith("Workforce return")]
    assert return_item.count == 0 and return_item.hint == "Submitted."


def test_an_agencys_worklist_is_its_own(client, agency_user, other_agency_user, region):
    client.force_login(other_agency_user)  # agency B: the late agreement, the missing timesheet
    items = items_of(client)
    assert items["Corrective actions awaiting your signature"].count == 1
    assert items["Corrective actions overdue"].count == 1
    assert items["Open breach cases"].count == 1
    week = last_full_week_ending(timezone.localdate())
    assert items[f"Timesheets not in for the week ending {week:%-d %B}"].count == 1
    for item in items.values():
        assert listed(client, item.url) == item.count, item.label

    client.force_login(agency_user)  # agency A: the issued agreement, its timesheet in
    items = items_of(client)
    assert items["Corrective actions awaiting your signature"].count == 1
    assert items["Remedial actions due in the next 14 days"].count == 1
    assert items[f"Timesheets not in for the week ending {week:%-d %B}"].count == 0


def test_an_empty_region_says_no_audit_has_run(client, coordinator):
    client.force_login(coordinator)
    page = client.get("/").content.decode()
    assert "No audit has run yet: the breach queue fills once one has." in page
    assert all(item.count == 0 for item in items_of(client).values())


def test_a_case_exactly_30_days_old_is_neither_counted_as_ageing_nor_listed_behind_the_link(
    client, coordinator, agency_a, solihull
):
    today = timezone.localdate()
    placement = PlacementFactory(agency=agency_a, authority=solihull, start_date=today - timedelta(days=200))
    for age in (30, 31):
        case = BreachFactory(placement=placement, rule=f"{'pay' if age == 30 else 'charge'}_rate_above_cap")
        detected = timezone.make_aware(
            timezone.datetime.combine(today - timedelta(days=age), timezone.datetime.min.time())
        )
        Breach.objects.filter(pk=case.pk).update(detected_at=detected + timedelta(hours=12))
    client.force_login(coordinator)
    item = items_of(client)["Breach cases open more than 30 days"]
    assert item.count == 1
    assert listed(client, item.url) == 1
