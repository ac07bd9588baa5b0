"""futuresocial.scoping.visible_to: the one place that decides what each person may see (SPEC §2)."""

from datetime import date
from decimal import Decimal

import pytest

from agencies.models import Agency, Suspension
from compliance.models import Breach, CorrectiveAction, Query
from futuresocial.scoping import can_see, visible_to
from placements.models import CapException, PermanentLeaver, Placement, Timesheet, TimesheetLine, Worker
from tests.factories import (
    BreachFactory,
    CapExceptionFactory,
    CorrectiveActionFactory,
    PermanentLeaverFactory,
    PlacementFactory,
    QueryFactory,
    SuspensionFactory,
    TimesheetFactory,
    TimesheetLineFactory,
    UserFactory,
    WorkforceReturnFactory,
)
from workforce.models import WorkforceReturn

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(agency_a, agency_b, solihull, coventry, coordinator):
    """Agency A works at Solihull, agency B at Coventry; each has a placement, a timesheet line, a breach."""
    rows = {}
    for key, agency, authority in (("a", agency_a, solihull), ("b", agency_b, coventry)):
        placement = PlacementFactory(agency=agency, authority=authority)
        timesheet = TimesheetFactory(placement=placement, week_ending=date(2024, 4, 7))
        line = TimesheetLineFactory(timesheet=timesheet, date=date(2024, 4, 2), hours=Decimal("7.5"))
        breach = BreachFactory(placement=placement, rule=Breach.Rule.MANUAL, description="x")
        # Issued: a draft is the coordinator's alone (CorrectiveAction.scope), so tenants meet an issued agreement.
        action = CorrectiveActionFactory(agency=agency, breaches=[breach], status="issued")
        suspension = SuspensionFactory(
            agency=agency, kind="ongoing", starts_on=date(2024, 5, 1), reason="test", imposed_by=coordinator
        )
        rows[key] = {
            "placement": placement,
            "timesheet": timesheet,
            "line": line,
            "breach": breach,
            "action": action,
            "suspension": suspension,
            "worker": placement.worker,
            "leaver": PermanentLeaverFactory(authority=authority, worker=placement.worker, left_on=date(2022, 1, 1)),
            "exception": CapExceptionFactory(placement=placement),
            "return": WorkforceReturnFactory(
                authority=authority,
                period_end=date(2025, 3, 31),
                permanent_fte=100,
                agency_fte=20,
                vacancies_fte=10,
                leavers_fte=15,
                absence_rate=None,
            ),
            "query": QueryFactory(
                asked_by_kind="agency", asked_by_name="n", agency=agency, channel="portal", subject="s", question="q"
            ),
        }
    return rows


TENANT_MODELS = {
    "placement": Placement,
    "timesheet": Timesheet,
    "line": TimesheetLine,
    "breach": Breach,
    "action": CorrectiveAction,
    "worker": Worker,
    "exception": CapException,
}


@pytest.mark.parametrize("key", TENANT_MODELS)
def test_an_agency_sees_its_own_rows_and_nothing_of_another_agencys(region, agency_user, key):
    model = TENANT_MODELS[key]
    assert list(visible_to(model.objects.all(), agency_user)) == [region["a"][key]]
    assert not can_see(agency_user, region["b"][key])


@pytest.mark.parametrize("key", TENANT_MODELS)
def test_a_council_sees_its_own_authoritys_rows_and_nothing_of_another_councils(region, council_user, key):
    model = TENANT_MODELS[key]
    assert list(visible_to(model.objects.all(), council_user)) == [region["a"][key]]
    assert not can_see(council_user, region["b"][key])


def test_the_second_council_and_second_agency_see_only_theirs(region, other_council_user, other_agency_user):
    assert list(visible_to(Placement.objects.all(), other_council_user)) == [region["b"]["placement"]]
    assert list(visible_to(Placement.objects.all(), other_agency_user)) == [region["b"]["placement"]]


def test_permanent_leavers_and_workforce_returns_belong_to_their_council_only(
    region, council_user, other_council_user, agency_user
):
    assert list(visible_to(PermanentLeaver.objects.all(), council_user)) == [region["a"]["leaver"]]
    assert list(visible_to(WorkforceReturn.objects.all(), other_council_user)) == [region["b"]["return"]]
    # Agencies never see councils' leaver records or workforce returns.
    assert not visible_to(PermanentLeaver.objects.all(), agency_user).exists()
    assert not visible_to(WorkforceReturn.objects.all(), agency_user).exists()


def test_every_council_sees_every_agencys_standing_and_suspensions(region, council_user):
    assert visible_to(Agency.objects.all(), council_user).count() == 2
    assert visible_to(Suspension.objects.all(), council_user).count() == 2


def test_an_agency_sees_only_itself_and_its_own_suspensions(region, agency_user, agency_a):
    assert list(visible_to(Agency.objects.all(), agency_user)) == [agency_a]
    assert list(visible_to(Suspension.objects.all(), agency_user)) == [region["a"]["suspension"]]


def test_queries_are_the_coordinators_and_the_asking_agencys(region, agency_user, council_user):
    assert list(visible_to(Query.objects.all(), agency_user)) == [region["a"]["query"]]
    assert not visible_to(Query.objects.all(), council_user).exists()


@pytest.mark.parametrize("persona", ["coordinator", "analyst"])
def test_coordinator_and_analyst_see_the_whole_region(region, persona, request):
    user = request.getfixturevalue(persona)
    assert visible_to(Placement.objects.all(), user).count() == 2
    assert visible_to(PermanentLeaver.objects.all(), user).count() == 2


def test_a_worker_placed_twice_with_an_agency_is_listed_once(region, agency_user, agency_a, solihull):
    PlacementFactory(agency=agency_a, authority=solihull, worker=region["a"]["worker"], start_date=date(2025, 1, 1))
    assert list(visible_to(Worker.objects.all(), agency_user)) == [region["a"]["worker"]]


def test_anonymous_and_inactive_users_see_nothing(region):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(Placement.objects.all(), AnonymousUser()).exists()
    inactive = UserFactory(role="coordinator", is_active=False)
    assert not visible_to(Placement.objects.all(), inactive).exists()
