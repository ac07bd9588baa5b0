"""factory_boy factories for the domain. Authorities and roles are seeded by migration: factories look them up."""

from datetime import date, timedelta
from decimal import Decimal

import factory

from accounts.models import User
from agencies.models import Agency, Suspension
from compliance.models import AuditRun, Breach, BreachLine, BreachNote, CorrectiveAction, CorrectiveActionItem, Query
from mou.models import Cap, MouVersion, Role
from placements.models import CapException, PermanentLeaver, Placement, Timesheet, TimesheetLine, Worker
from region.models import Authority
from workforce.models import OfficialFigure, WorkforceReturn


def authority(code="E08000029"):
    """A seeded authority (Solihull by default)."""
    return Authority.objects.get(code=code)


def role(code="SW"):
    return Role.objects.get(code=code)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Test Agency {n} Ltd")
    company_number = factory.Sequence(lambda n: f"{n:08d}")
    mou_signed_on = date(2015, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.ANALYST
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MouVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MouVersion

    name = factory.Sequence(lambda n: f"Protocol revision {n}")
    effective_from = date(2015, 1, 1)
    binds_existing_from = factory.LazyAttribute(lambda v: v.effective_from)
    status = MouVersion.Status.SUPERSEDED
    cooling_off_months = 12
    min_experience_years = 0


class CapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cap

    version = factory.SubFactory(MouVersionFactory)
    role = factory.LazyFunction(lambda: role("SW"))
    engagement_type = None
    max_pay_rate = Decimal("30.00")
    max_charge_rate = Decimal("40.00")


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Worker

    swe_number = factory.Sequence(lambda n: f"SW{100000 + n}")


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement

    agency = factory.SubFactory(AgencyFactory)
    authority = factory.LazyFunction(authority)
    role = factory.LazyFunction(lambda: role("SW"))
    worker = factory.SubFactory(WorkerFactory)
    engagement_type = "paye"
    start_date = date(2024, 4, 1)
    pay_rate = Decimal("30.00")
    on_costs = Decimal("5.00")
    charge_rate = Decimal("40.00")


class PermanentLeaverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PermanentLeaver

    authority = factory.LazyFunction(authority)
    worker = factory.SubFactory(WorkerFactory)
    left_on = date(2024, 1, 31)
    reason = PermanentLeaver.Reason.RESIGNATION


class CapExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapException

    placement = factory.SubFactory(PlacementFactory)
    signed_by_dcs = "A. Director"
    signed_by_chief_executive = "B. Chief"
    reason = "Hard-to-fill post in a team under improvement"
    valid_from = date(2024, 4, 1)
    valid_until = date(2024, 9, 30)


class WorkforceReturnFactory(factory.django.DjangoModelFactory):
    """A council's workforce return (Solihull, 30 September 2024 by default): agency rate 20.0 %, turnover 15.0 %,
    vacancy rate 10.0 %."""

    class Meta:
        model = WorkforceReturn

    authority = factory.LazyFunction(authority)
    period_end = date(2024, 9, 30)
    permanent_fte = Decimal("180.00")
    agency_fte = Decimal("45.00")
    vacancies_fte = Decimal("20.00")
    leavers_fte = Decimal("27.00")
    absence_rate = Decimal("3.10")


class OfficialFigureFactory(factory.django.DjangoModelFactory):
    """A published row of the DfE's statistics for an authority (Solihull, 30 September 2024 by default); give
    `authority=None`, `level` and the area's code and name for a region's or the country's row."""

    class Meta:
        model = OfficialFigure

    release = "csww_indicators_2017_to_2025"
    level = OfficialFigure.Level.LOCAL_AUTHORITY
    authority = factory.LazyFunction(authority)
    area_code = factory.LazyAttribute(lambda f: f.authority.code)
    area_name = factory.LazyAttribute(lambda f: f.authority.name)
    year = 2024
    period_end = factory.LazyAttribute(lambda f: date(f.year, 9, 30))


class SuspensionFactory(factory.django.DjangoModelFactory):
    """An agency's suspension imposed by a coordinator: ongoing, or temporary when given an `ends_on`. It starts today
    unless given a `starts_on` (the model's default). `breaches=[...]` cites cases."""

    class Meta:
        model = Suspension
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    ends_on = None
    kind = factory.LazyAttribute(lambda s: Suspension.Kind.ONGOING if s.ends_on is None else Suspension.Kind.TEMPORARY)
    reason = "Repeated pay above the cap"
    imposed_by = factory.SubFactory(UserFactory, role=User.Role.COORDINATOR)

    @factory.post_generation
    def breaches(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.breaches.add(*extracted)


class TimesheetFactory(factory.django.DjangoModelFactory):
    """A placement's week (ending Sunday 7 April 2024 by default, the first week of the default placement)."""

    class Meta:
        model = Timesheet

    placement = factory.SubFactory(PlacementFactory)
    week_ending = date(2024, 4, 7)


class TimesheetLineFactory(factory.django.DjangoModelFactory):
    """A day of a timesheet, in its current revision: 7.5 hours on the week's Monday at the placement's rates."""

    class Meta:
        model = TimesheetLine

    timesheet = factory.SubFactory(TimesheetFactory)
    placement = factory.SelfAttribute("timesheet.placement")
    revision = factory.SelfAttribute("timesheet.revision")
    date = factory.LazyAttribute(lambda line: line.timesheet.week_ending - timedelta(days=6))
    hours = Decimal("7.50")
    pay_rate = factory.LazyAttribute(lambda line: Decimal(line.placement.pay_rate))
    charge_rate = factory.LazyAttribute(lambda line: Decimal(line.placement.charge_rate))


class AuditRunFactory(factory.django.DjangoModelFactory):
    """A run of the audit, queued (the model's defaults)."""

    class Meta:
        model = AuditRun


class BreachFactory(factory.django.DjangoModelFactory):
    """A case the audit opened: pay above the cap on a placement, of the placement's agency at its authority.

    `placement__agency=...`, `placement__authority=...` place it; a case reported by a person without a placement is
    `placement=None, rule=Breach.Rule.MANUAL, agency=...` (and an `authority` if any). A dismissed case gets a reason.
    """

    class Meta:
        model = Breach

    placement = factory.SubFactory(PlacementFactory)
    agency = factory.Maybe("placement", factory.SelfAttribute("placement.agency"), factory.SubFactory(AgencyFactory))
    authority = factory.Maybe("placement", factory.SelfAttribute("placement.authority"), None)
    rule = Breach.Rule.PAY_RATE_ABOVE_CAP
    dismissed_reason = factory.LazyAttribute(
        lambda b: "Duplicate of another case" if b.status == Breach.Status.DISMISSED else ""
    )
    status = Breach.Status.OPEN


class BreachLineFactory(factory.django.DjangoModelFactory):
    """An offending line of a case: the line's hours at its pay rate against a £25.00 cap, the excess worked out."""

    class Meta:
        model = BreachLine

    breach = factory.SubFactory(BreachFactory)
    line = factory.SubFactory(TimesheetLineFactory, timesheet__placement=factory.SelfAttribute("...breach.placement"))
    cap = Decimal("25.00")
    rate = factory.SelfAttribute("line.pay_rate")
    hours = factory.SelfAttribute("line.hours")
    excess_per_hour = factory.LazyAttribute(lambda bl: Decimal(bl.rate) - Decimal(bl.cap))
    excess = factory.LazyAttribute(lambda bl: (bl.excess_per_hour * Decimal(bl.hours)).quantize(Decimal("0.01")))


class BreachNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BreachNote

    breach = factory.SubFactory(BreachFactory)
    author = factory.SubFactory(UserFactory, role=User.Role.COORDINATOR)
    text = factory.Sequence(lambda n: f"Note {n}")


class CorrectiveActionFactory(factory.django.DjangoModelFactory):
    """A draft corrective action with an agency; `breaches=[...]` cites cases."""

    class Meta:
        model = CorrectiveAction
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)

    @factory.post_generation
    def breaches(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.breaches.add(*extracted)


class CorrectiveActionItemFactory(factory.django.DjangoModelFactory):
    """A remedial action of a corrective action, due on 1 May 2024 by default."""

    class Meta:
        model = CorrectiveActionItem

    corrective_action = factory.SubFactory(CorrectiveActionFactory)
    description = factory.Sequence(lambda n: f"Remedial action {n}")
    due_on = date(2024, 5, 1)


class QueryFactory(factory.django.DjangoModelFactory):
    """A social worker's question by email, not yet answered."""

    class Meta:
        model = Query

    asked_by_kind = Query.Asker.SOCIAL_WORKER
    asked_by_name = "A. Worker"
    channel = Query.Channel.EMAIL
    subject = factory.Sequence(lambda n: f"Question {n} about the MoU")
    question = "Does the cap apply to a project team?"
