"""factory_boy factories for the domain. Authorities and roles are seeded by migration: factories look them up."""

from datetime import date
from decimal import Decimal

import factory

from accounts.models import User
from agencies.models import Agency
from mou.models import Cap, MouVersion, Role
from placements.models import CapException, PermanentLeaver, Placement, Worker
from region.models import Authority
from workforce.models import WorkforceReturn


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
    qualified_on = date(2010, 7, 1)


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
