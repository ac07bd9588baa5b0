"""The database itself refuses impossible data, whatever path it comes by (form, API, admin, SQL)."""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.utils import InternalError, ProgrammingError

import pytest

from accounts.models import User
from agencies.models import Suspension
from compliance.models import Breach
from mou.models import Cap, MouVersion
from placements.models import Timesheet, TimesheetLine
from tests.factories import (
    AgencyFactory,
    BreachFactory,
    CapExceptionFactory,
    CapFactory,
    MouVersionFactory,
    PlacementFactory,
    SuspensionFactory,
    TimesheetFactory,
    UserFactory,
    authority,
    role,
)

pytestmark = pytest.mark.django_db


def refused(make):
    # Check constraints raise IntegrityError; pgtrigger's delete protection raises ProgrammingError.
    with pytest.raises((IntegrityError, InternalError, ProgrammingError)), transaction.atomic():
        make()
    return True


@pytest.fixture
def timesheet():
    return TimesheetFactory(week_ending=date(2024, 4, 7))


def line(timesheet, **overrides):
    values = dict(
        timesheet=timesheet,
        placement=timesheet.placement,
        revision=1,
        date=date(2024, 4, 2),
        hours=Decimal("7.50"),
        pay_rate=Decimal("30.00"),
        charge_rate=Decimal("40.00"),
    )
    values.update(overrides)
    return TimesheetLine.objects.create(**values)


def test_hours_are_between_0_and_24(timesheet):
    assert refused(lambda: line(timesheet, hours=Decimal("-0.5")))
    assert refused(lambda: line(timesheet, hours=Decimal("24.01")))
    assert line(timesheet, hours=Decimal("24.00")).hours == Decimal("24.00")


def test_line_rates_are_not_negative(timesheet):
    assert refused(lambda: line(timesheet, pay_rate=Decimal("-1.00")))
    assert refused(lambda: line(timesheet, charge_rate=Decimal("-0.01")))


def test_one_line_per_day_in_a_revision_but_a_new_revision_may_repeat_the_day(timesheet):
    line(timesheet)
    assert refused(lambda: line(timesheet))
    assert line(timesheet, revision=2).revision == 2


def test_one_timesheet_per_placement_and_week(timesheet):
    assert refused(lambda: Timesheet.objects.create(placement=timesheet.placement, week_ending=date(2024, 4, 7)))


def test_a_placement_cannot_end_before_it_starts():
    assert refused(lambda: PlacementFactory(start_date=date(2024, 4, 1), end_date=date(2024, 3, 31)))
    assert PlacementFactory(start_date=date(2024, 4, 1), end_date=date(2024, 4, 1)).end_date == date(2024, 4, 1)


def test_placement_rates_are_not_negative():
    assert refused(lambda: PlacementFactory(pay_rate=Decimal("-5.00")))
    assert refused(lambda: PlacementFactory(on_costs=Decimal("-0.01")))


def test_one_cap_per_version_role_and_engagement_type_including_any():
    version = MouVersionFactory()
    CapFactory(version=version, role=role("SW"), engagement_type=None)
    # NULL (any engagement type) counts as a value here: a second any-engagement cap is refused.
    assert refused(lambda: CapFactory(version=version, role=role("SW"), engagement_type=None))
    CapFactory(version=version, role=role("SW"), engagement_type="limited")
    assert refused(lambda: CapFactory(version=version, role=role("SW"), engagement_type="limited"))
    assert Cap.objects.filter(version=version).count() == 2


def test_a_charge_cap_below_the_pay_cap_is_refused():
    assert refused(lambda: CapFactory(max_pay_rate=Decimal("30.00"), max_charge_rate=Decimal("29.99")))


def test_only_one_version_is_in_force():
    MouVersionFactory(effective_from=date(2018, 4, 1), status=MouVersion.Status.IN_FORCE)
    assert refused(lambda: MouVersionFactory(effective_from=date(2025, 1, 1), status=MouVersion.Status.IN_FORCE))


def test_two_published_versions_cannot_take_effect_on_the_same_day_but_drafts_may():
    MouVersionFactory(effective_from=date(2018, 4, 1), status=MouVersion.Status.SUPERSEDED)
    assert refused(lambda: MouVersionFactory(effective_from=date(2018, 4, 1), status=MouVersion.Status.IN_FORCE))
    MouVersionFactory(effective_from=date(2018, 4, 1), status=MouVersion.Status.DRAFT)
    MouVersionFactory(effective_from=date(2018, 4, 1), status=MouVersion.Status.DRAFT)


def test_a_version_cannot_bind_existing_placements_before_it_takes_effect():
    assert refused(lambda: MouVersionFactory(effective_from=date(2018, 4, 1), binds_existing_from=date(2018, 3, 31)))


def test_a_published_version_is_never_deleted_but_a_draft_may_be():
    published = MouVersionFactory(status=MouVersion.Status.SUPERSEDED)
    draft = MouVersionFactory(effective_from=date(2030, 1, 1), status=MouVersion.Status.DRAFT)
    assert refused(published.delete)
    draft.delete()
    assert MouVersion.objects.filter(pk=published.pk).exists()


def test_a_temporary_suspension_needs_an_end_date_after_its_start_and_an_ongoing_one_has_none():
    agency, by = AgencyFactory(), UserFactory(role="coordinator")
    make = lambda **kw: Suspension.objects.create(agency=agency, reason="r", imposed_by=by, **kw)  # noqa: E731
    assert refused(lambda: make(kind="temporary", starts_on=date(2024, 1, 1)))
    assert refused(lambda: make(kind="temporary", starts_on=date(2024, 1, 1), ends_on=date(2024, 1, 1)))
    assert refused(lambda: make(kind="ongoing", starts_on=date(2024, 1, 1), ends_on=date(2024, 6, 1)))
    assert make(kind="temporary", starts_on=date(2024, 1, 1), ends_on=date(2024, 1, 2)).pk


def test_breaches_and_suspensions_are_never_deleted():
    agency, by = AgencyFactory(), UserFactory(role="coordinator")
    breach = BreachFactory(
        placement=None, agency=agency, rule=Breach.Rule.MANUAL, description="approached a worker in post"
    )
    suspension = SuspensionFactory(agency=agency, kind="ongoing", reason="r", imposed_by=by)
    assert refused(breach.delete)
    assert refused(suspension.delete)


def test_the_audit_opens_one_case_per_placement_rule_and_version():
    placement, version = PlacementFactory(), MouVersionFactory()
    make = lambda: Breach.objects.create(  # noqa: E731
        agency=placement.agency, placement=placement, rule=Breach.Rule.PAY_RATE_ABOVE_CAP, mou_version=version
    )
    make()
    assert refused(make)


def test_a_dismissed_breach_has_a_reason():
    agency = AgencyFactory()
    assert refused(lambda: Breach.objects.create(agency=agency, rule="manual", status="dismissed"))
    assert Breach.objects.create(agency=agency, rule="manual", status="dismissed", dismissed_reason="duplicate").pk


def test_a_cap_exception_needs_both_signatures_and_a_valid_period():
    assert refused(lambda: CapExceptionFactory(signed_by_chief_executive=""))
    assert refused(lambda: CapExceptionFactory(valid_from=date(2024, 5, 1), valid_until=date(2024, 4, 30)))


def test_users_belong_where_their_role_says():
    assert refused(lambda: UserFactory(role=User.Role.COUNCIL))
    assert refused(lambda: UserFactory(role=User.Role.AGENCY))
    assert refused(lambda: UserFactory(role=User.Role.COORDINATOR, authority=authority()))
    assert refused(lambda: UserFactory(role=User.Role.COUNCIL, authority=authority(), agency=AgencyFactory()))


def test_changes_are_recorded_in_history_with_who_made_them():
    import pghistory

    breach = BreachFactory(placement=None, rule="manual", description="reported by phone")
    coordinator = UserFactory(role="coordinator")
    with pghistory.context(user=coordinator.pk):
        breach.status = Breach.Status.UNDER_REVIEW
        breach.save()
    events = list(breach.events.order_by("pgh_id").values_list("pgh_label", "status"))
    assert events == [("insert", "open"), ("update", "under_review")]
    assert breach.events.last().pgh_context.metadata["user"] == coordinator.pk
    with connection.cursor() as cursor:  # a bulk UPDATE by SQL is recorded too: the history lives in triggers
        cursor.execute("UPDATE compliance_breach SET severity = 'serious' WHERE id = %s", [breach.pk])
    assert breach.events.count() == 3


def test_placements_timesheets_and_agencies_are_never_deleted(timesheet):
    placement = timesheet.placement
    recorded = line(timesheet)
    assert refused(recorded.delete)
    assert refused(timesheet.delete)
    assert refused(placement.delete)
    assert refused(placement.agency.delete)
    assert TimesheetLine.objects.filter(pk=recorded.pk).exists()
