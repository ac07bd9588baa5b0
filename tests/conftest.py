"""Personas for every test: a coordinator, an analyst, two councils and two agencies (SPEC §2)."""

import pytest

from accounts.models import User
from tests.factories import AgencyFactory, UserFactory, authority


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
