"""A suspension cites breach cases at several authorities: a council reads the ids of its own only."""

import pytest

from tests.api.test_reference_api import token_client
from tests.factories import BreachFactory, SuspensionFactory

pytestmark = pytest.mark.django_db


def test_a_council_reads_only_its_own_authoritys_cited_cases(council_user, coordinator, agency_a, solihull, coventry):
    at_solihull = BreachFactory(placement=None, agency=agency_a, authority=solihull, rule="manual", description="x")
    at_coventry = BreachFactory(placement=None, agency=agency_a, authority=coventry, rule="manual", description="y")
    suspension = SuspensionFactory(
        agency=agency_a, kind="ongoing", reason="r", imposed_by=coordinator, breaches=[at_solihull, at_coventry]
    )
    council = token_client(council_user).get(f"/api/v1/suspensions/{suspension.pk}/").json()
    regional = token_client(coordinator).get(f"/api/v1/suspensions/{suspension.pk}/").json()
    assert council["breaches"] == [at_solihull.pk]
    assert regional["breaches"] == [at_solihull.pk, at_coventry.pk]
