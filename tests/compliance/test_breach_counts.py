"""The maintained counts of breach cases (compliance.counts): after every kind of write they equal a count of the
cases themselves, and what a council or agency reads of them is its own."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

import pytest

from compliance import breaches as services
from compliance.audit import audit_perform
from compliance.counts import breach_counts_rebuild, open_breach_counts
from compliance.models import Breach, BreachCount, OpenBreachCount
from placements.models import Timesheet
from tests.factories import (
    AgencyFactory,
    AuditRunFactory,
    BreachFactory,
    PlacementFactory,
    TimesheetLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Status = Breach.Status


def counted_from_the_cases() -> tuple[dict, dict]:
    """What the counts should say: COUNT(*) over the cases, by group (and the open cases by day of detection)."""
    groups = {
        (row["agency_id"], row["authority_id"], row["assignee_id"], row["status"]): row["n"]
        for row in Breach.objects.order_by()
        .values("agency_id", "authority_id", "assignee_id", "status")
        .annotate(n=Count("id"))
    }
    days = {
        (row["day"], row["agency_id"], row["authority_id"]): row["n"]
        for row in Breach.objects.unresolved()
        .order_by()
        .values("agency_id", "authority_id", day=TruncDate("detected_at"))
        .annotate(n=Count("id"))
    }
    return groups, days


def kept() -> tuple[dict, dict]:
    groups = {(c.agency_id, c.authority_id, c.assignee_id, c.status): c.n for c in BreachCount.objects.all()}
    days = {(c.detected_on, c.agency_id, c.authority_id): c.n for c in OpenBreachCount.objects.all()}
    return groups, days


def assert_exact():
    assert kept() == counted_from_the_cases()


def test_a_new_case_is_counted_in_its_group(agency_a, solihull):
    breach = BreachFactory(placement__agency=agency_a, placement__authority=solihull)
    assert kept()[0] == {(agency_a.pk, solihull.pk, None, "open"): 1}
    assert kept()[1] == {(timezone.localdate(), agency_a.pk, solihull.pk): 1}
    BreachFactory(placement=breach.placement, rule=Breach.Rule.CHARGE_RATE_ABOVE_CAP)
    assert kept()[0] == {(agency_a.pk, solihull.pk, None, "open"): 2}


def test_a_status_change_moves_the_case_and_a_group_left_empty_is_removed(coordinator):
    breach = BreachFactory()
    services.breach_set_status(breach=breach, status=Status.UNDER_REVIEW, by=coordinator)
    assert kept()[0] == {(breach.agency_id, breach.authority_id, None, "under_review"): 1}
    services.breach_set_status(breach=breach, status=Status.DISMISSED, by=coordinator, reason="A duplicate")
    assert kept() == ({(breach.agency_id, breach.authority_id, None, "dismissed"): 1}, {})
    assert_exact()


def test_reassigning_moves_the_case_to_its_new_assignee(coordinator):
    colleague = UserFactory(role="coordinator")
    breach = BreachFactory()
    services.breach_assign(breach=breach, assignee=coordinator, by=coordinator)
    assert kept()[0] == {(breach.agency_id, breach.authority_id, coordinator.pk, "open"): 1}
    services.breach_assign(breach=breach, assignee=colleague, by=coordinator)
    assert kept()[0] == {(breach.agency_id, breach.authority_id, colleague.pk, "open"): 1}
    services.breach_assign(breach=breach, assignee=None, by=coordinator)
    assert kept()[0] == {(breach.agency_id, breach.authority_id, None, "open"): 1}


def test_bulk_actions_keep_the_counts_exact(coordinator, agency_a, agency_b):
    cases = [BreachFactory(placement__agency=agency) for agency in (agency_a, agency_b, agency_a, agency_b)]
    services.breaches_bulk_assign(breaches=cases, assignee=coordinator, by=coordinator)
    assert_exact()
    services.breaches_bulk_set_status(breaches=cases[:3], status=Status.UNDER_REVIEW, by=coordinator)
    assert_exact()
    Breach.objects.filter(pk__in=[c.pk for c in cases]).update(assignee=None)  # as the admin's action does
    assert_exact()
    assert sum(kept()[0].values()) == 4


def test_an_audit_counts_the_cases_it_opens_and_those_new_work_reopens(versions, coordinator):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="25.00", charge_rate="32.00")

    def work(day, pay):
        timesheet, _ = Timesheet.objects.get_or_create(placement=placement, week_ending=day + timedelta(days=6))
        TimesheetLineFactory(
            timesheet=timesheet, date=day, hours=Decimal("7.50"), pay_rate=Decimal(pay), charge_rate=Decimal("32.00")
        )

    work(date(2019, 1, 7), "27.50")
    audit_perform(run_id=AuditRunFactory(trigger="test").pk)
    breach = Breach.objects.get()
    assert kept()[0] == {(placement.agency_id, placement.authority_id, None, "open"): 1}
    services.breach_set_status(breach=breach, status=Status.UNDER_REVIEW, by=coordinator)
    services.breach_set_status(breach=breach, status=Status.RESOLVED, by=coordinator)
    assert kept()[1] == {}
    work(date(2019, 1, 14), "27.50")  # more work above the cap: the audit reopens the case
    audit_perform(run_id=AuditRunFactory(trigger="test").pk)
    assert kept()[0] == {(placement.agency_id, placement.authority_id, None, "open"): 1}
    assert_exact()


def test_the_rebuild_counts_what_was_written_with_the_triggers_off(agency_a):
    BreachFactory.create_batch(3, placement__agency=agency_a)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE compliance_breach SET status = 'resolved'")
        cursor.execute("SET session_replication_role = DEFAULT")
    assert kept() != counted_from_the_cases()
    breach_counts_rebuild()
    assert_exact()
    assert sum(kept()[0].values()) == 3


def test_the_counts_equal_a_count_of_the_cases_after_a_random_sequence_of_writes(versions, coordinator):
    """Two hundred writes of every kind the region makes (some refused by the services, rolled back), in an order
    chosen by a seeded generator; after each tenth, the counts are compared with COUNT(*) over the cases."""
    chance = random.Random(2026)
    colleague = UserFactory(role="coordinator")
    agencies = [AgencyFactory() for _ in range(3)]
    placements = [PlacementFactory(agency=chance.choice(agencies)) for _ in range(4)]
    people = [None, coordinator, colleague]

    def create():
        if chance.random() < 0.3:
            services.breach_report_manual(
                agency=chance.choice(agencies), description=f"Report {chance.random()}", by=coordinator
            )
        else:
            BreachFactory(
                placement=chance.choice(placements),
                mou_version=None,
                rule=Breach.Rule.MANUAL,
                description=f"Case {Breach.objects.count() + 1}",
            )

    def move():
        breach = chance.choice(list(Breach.objects.all()))
        status = chance.choice(services.allowed_moves(breach))
        services.breach_set_status(breach=breach, status=status, by=coordinator, reason="Looked at it")

    def assign():
        breach = chance.choice(list(Breach.objects.all()))
        services.breach_assign(breach=breach, assignee=chance.choice(people), by=coordinator)

    def bulk():
        chosen = chance.sample(list(Breach.objects.all()), k=min(3, Breach.objects.count()))
        if chance.random() < 0.5:
            services.breaches_bulk_assign(breaches=chosen, assignee=chance.choice(people), by=coordinator)
        else:
            status = chance.choice([Status.UNDER_REVIEW, Status.OPEN, Status.ESCALATED])
            services.breaches_bulk_set_status(breaches=chosen, status=status, by=coordinator)

    def age():  # a case detected earlier (another day's group)
        breach = chance.choice(list(Breach.objects.all()))
        Breach.objects.filter(pk=breach.pk).update(detected_at=timezone.now() - timedelta(days=chance.randint(0, 60)))

    create()
    refused = 0
    for step in range(200):
        try:
            chance.choices([create, move, assign, bulk, age], weights=[3, 4, 2, 1, 1])[0]()
        except ValidationError:  # a move or assignment a case may not take: refused whole, its counts rolled back
            refused += 1
        if step % 10 == 9:
            assert_exact()
    assert_exact()
    assert Breach.objects.count() > 40 and 0 < refused < 100


# --- What each reader is shown


@pytest.fixture
def cases(agency_a, agency_b, solihull, coventry, coordinator):
    """At Solihull: agency A's 3 open (1 the coordinator's, 1 detected 45 days ago) and 1 resolved; agency B's 1
    under review. At Coventry: agency B's 2 open."""
    ours = [BreachFactory(placement__agency=agency_a, placement__authority=solihull) for _ in range(3)]
    BreachFactory(placement__agency=agency_a, placement__authority=solihull, status=Status.RESOLVED)
    BreachFactory(placement__agency=agency_b, placement__authority=solihull, status=Status.UNDER_REVIEW)
    BreachFactory.create_batch(2, placement__agency=agency_b, placement__authority=coventry)
    Breach.objects.filter(pk=ours[0].pk).update(assignee=coordinator)
    Breach.objects.filter(pk=ours[1].pk).update(detected_at=timezone.now() - timedelta(days=45))


def test_the_coordinator_counts_the_region(coordinator, cases):
    counts = open_breach_counts(user=coordinator, detected_before=timezone.localdate() - timedelta(days=30))
    assert counts == {"unresolved": 6, "unassigned": 5, "mine": 1, "ageing": 1}


def test_a_council_counts_its_own_authoritys_cases_only(council_user, other_council_user, cases):
    before = timezone.localdate() - timedelta(days=30)
    assert open_breach_counts(user=council_user, detected_before=before) == {
        "unresolved": 4,
        "unassigned": 3,
        "mine": 0,
        "ageing": 1,
    }
    assert open_breach_counts(user=other_council_user, detected_before=before)["unresolved"] == 2


def test_an_agency_counts_its_own_cases_only(agency_user, other_agency_user, cases):
    before = timezone.localdate() - timedelta(days=30)
    assert open_breach_counts(user=agency_user, detected_before=before)["unresolved"] == 3
    assert open_breach_counts(user=other_agency_user, detected_before=before)["unresolved"] == 3


def tabs(response):
    return {status: n for status, _, n in response.context["status_counts"]}


def test_an_agencys_queue_counts_its_own_cases_by_status(client, agency_user, cases):
    client.force_login(agency_user)
    response = client.get("/breaches/")
    assert tabs(response) == {
        "open": 3,
        "under_review": 0,
        "corrective_action": 0,
        "resolved": 1,
        "dismissed": 0,
        "escalated": 0,
    }
    assert response.context["page"].paginator.count == 4


def test_the_queues_counts_follow_the_assignee_and_agency_filters(client, coordinator, agency_b, cases):
    client.force_login(coordinator)
    mine = client.get("/breaches/?assignee=me&status=unresolved")
    assert (tabs(mine)["open"], mine.context["page"].paginator.count) == (1, 1)
    nobodys = client.get(f"/breaches/?assignee=none&agency={agency_b.pk}")
    assert (tabs(nobodys)["open"], tabs(nobodys)["under_review"], nobodys.context["page"].paginator.count) == (2, 1, 3)
    by_name = client.get(f"/breaches/?assignee={coordinator.username}")
    assert by_name.context["page"].paginator.count == 1


def test_a_filter_the_counts_do_not_have_is_counted_from_the_cases(client, coordinator, cases):
    Breach.objects.filter(status=Status.UNDER_REVIEW).update(severity=Breach.Severity.SERIOUS)
    client.force_login(coordinator)
    response = client.get("/breaches/?severity=serious")
    assert tabs(response)["under_review"] == 1
    assert sum(tabs(response).values()) == response.context["page"].paginator.count == 1
