"""Personas for every test: a coordinator, an analyst, two councils and two agencies (SPEC §2)."""

from datetime import date
from decimal import Decimal
from functools import cache
from importlib import import_module

from django.db import connection
from django.db.migrations.loader import MigrationLoader

import pytest

from accounts.models import User
from accounts.tasks import send_email
from mou.models import MouVersion
from region.selectors import WEST_MIDLANDS, remember_region
from tests.celery_queues import own_queue
from tests.factories import AgencyFactory, CapFactory, MouVersionFactory, UserFactory, authority, role


@pytest.fixture(autouse=True)
def _seeded_region(request):
    """A transactional test flushes the database after itself, the seeded authorities and roles with it: the next
    one seeds them again with the migrations' own (idempotent) code."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        for app, migration in SEEDS:
            import_module(f"{app}.migrations.{migration}").seed(_seeding_apps(), None)


# At import too, before any fixture: test modules build the API schema (which names the region) when collected.
remember_region(WEST_MIDLANDS)


@pytest.fixture(autouse=True)
def _the_default_region():
    """Every test database is migrated with no region set up: the West Midlands, the product's default. Remembered
    before the test, as a web process remembers it after its first page, so that no pinned query count depends on
    which test read it first; a test that sets up another region remembers that one (`region_setup`) until here."""
    remember_region(WEST_MIDLANDS)
    yield
    remember_region(WEST_MIDLANDS)


SEEDS = [("workforce", "0002_seed_authorities"), ("mou", "0002_seed_roles")]


@cache
def _seeding_apps():
    """The models as the seeding migrations knew them: `Authority` was workforce's then and is region's now (same
    table), so the project's current apps cannot run the authorities' seed."""
    return MigrationLoader(connection).project_state(SEEDS).apps


@pytest.fixture
def agency_a(db):
    return AgencyFactory(name="Alpha Locums Ltd")


@pytest.fixture
def agency_b(db):
    return AgencyFactory(name="Beta Social Care Staffing Ltd")


@pytest.fixture
def solihull(db):
    return authority("E08000029")


@pytest.fixture
def coventry(db):
    return authority("E08000026")


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coordinator", role=User.Role.COORDINATOR)


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", role=User.Role.ANALYST)


@pytest.fixture
def council_user(solihull):
    return UserFactory(username="solihull", role=User.Role.COUNCIL, authority=solihull)


@pytest.fixture
def other_council_user(coventry):
    return UserFactory(username="coventry", role=User.Role.COUNCIL, authority=coventry)


@pytest.fixture
def agency_user(agency_a):
    return UserFactory(username="alpha", role=User.Role.AGENCY, agency=agency_a)


@pytest.fixture
def other_agency_user(agency_b):
    return UserFactory(username="beta", role=User.Role.AGENCY, agency=agency_b)


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings, request):
    """Each test gets an empty in-memory cache: the API's throttles count there, so one test's token requests never
    throttle another's (nor another test run's sharing the machine's Redis)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture
def email_queue():
    """The email task on a queue of this test's own, sent through the broker: the test reads the queued messages."""
    with own_queue("test-email", tasks="accounts.tasks.send_email") as queue:
        yield queue


@pytest.fixture(autouse=True)
def _email_sent_in_process(request, monkeypatch):
    """The email task runs in the test's own process, as a worker would run it (Celery's `apply`, retries included),
    once the change commits: tests read `mail.outbox` with no worker. A test that asks for `email_queue` sends it
    through the broker instead."""
    if "email_queue" in request.fixturenames:
        return
    monkeypatch.setattr(send_email, "delay", lambda *args, **kwargs: send_email.apply(args, kwargs))


@pytest.fixture
def versions():
    """2015: SW pay cap £22.50 (no charge cap). 2018 (binds existing placements from 1 Oct 2018): SW £25.00 pay and
    £33.00 charge, £27.00 pay for limited companies. 2025: 12 months' cooling-off, 3 years' experience."""
    v2015 = MouVersionFactory(name="2015", effective_from=date(2015, 1, 1), cooling_off_months=12)
    v2018 = MouVersionFactory(name="2018", effective_from=date(2018, 4, 1), binds_existing_from=date(2018, 10, 1))
    v2025 = MouVersionFactory(
        name="2025",
        effective_from=date(2025, 1, 1),
        binds_existing_from=date(2025, 4, 1),
        status=MouVersion.Status.IN_FORCE,
        cooling_off_months=12,
        min_experience_years=3,
    )
    CapFactory(version=v2015, role=role("SW"), max_pay_rate=Decimal("22.50"), max_charge_rate=None)
    CapFactory(version=v2018, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    CapFactory(version=v2018, role=role("SW"), engagement_type="limited", max_pay_rate=Decimal("27.00"))
    CapFactory(version=v2025, role=role("SW"), max_pay_rate=Decimal("26.00"), max_charge_rate=Decimal("34.00"))
    return {"2015": v2015, "2018": v2018, "2025": v2025}
