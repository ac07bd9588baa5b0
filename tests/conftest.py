"""Personas for every test: a coordinator, an analyst, two councils and two agencies (SPEC §2)."""

from importlib import import_module

from django.apps import apps

import pytest

from accounts.models import User
from tests.factories import AgencyFactory, UserFactory, authority


@pytest.fixture(autouse=True)
def _seeded_region(request):
    """A transactional test flushes the database after itself, the seeded authorities and roles with it: the next
    one seeds them again with the migrations' own (idempotent) code."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        for migration in ("workforce.migrations.0002_seed_authorities", "mou.migrations.0002_seed_roles"):
            import_module(migration).seed(apps, None)


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
