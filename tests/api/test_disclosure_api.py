"""Small groups are withheld in the API too (issue 17, point 4): `stats/cost-benefit/?figures=region` answers a
council the region's figure over its groups of at least 3 placements and 3 authorities only, or the evaluation's
figure when there is none, saying so in `withheld` (code `c`); the coordinator gets the region's own."""

import pytest
from rest_framework.test import APIClient

from tests.dashboards.conftest import small_groups, versions  # noqa: F401 (fixtures)

URL = "/api/v1/stats/cost-benefit/"

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_council_gets_the_regions_rate_over_its_large_groups(council_user, small_groups):  # noqa: F811
    body = api(council_user).get(URL, {"figures": "region"}).json()
    assert body["withheld"] == {}
    assert body["inputs"]["hourly_rate"] == "32.00"  # the social workers' £3,600 over 112.5 h, not the IROs' £1,470
    assert "only groups of at least 3 placements and 3 authorities" in body["sources"]["hourly_rate"]


def test_a_council_gets_the_regions_rate_withheld_when_no_group_is_large(council_user, small_groups):  # noqa: F811
    from dashboards.models import MonthlyRates

    MonthlyRates.objects.filter(authority=None, role__code="SW").update(placements=2)
    body = api(council_user).get(URL, {"figures": "region"}).json()
    assert body["withheld"] == {"hourly_rate": "c"}
    assert body["inputs"]["hourly_rate"] == "39.26"  # the evaluation's
    assert "withheld (confidential), code c" in body["sources"]["hourly_rate"]


def test_the_coordinator_gets_the_regions_rate(coordinator, small_groups):  # noqa: F811
    body = api(coordinator).get(URL, {"figures": "region"}).json()
    assert body["withheld"] == {}
    assert body["inputs"]["hourly_rate"] == "35.58"  # £5,070 over 142.5 h
    assert body["sources"]["hourly_rate"].startswith("the timesheets")


def test_without_the_regions_figures_nothing_is_withheld(council_user, small_groups):  # noqa: F811
    assert api(council_user).get(URL).json()["withheld"] == {}
