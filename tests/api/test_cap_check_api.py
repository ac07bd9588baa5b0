"""`cap-check/` (SPEC §7): is a rate within the cap, for a role, a day and an engagement type."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from mou.models import MouVersion
from tests.api.test_reference_api import token_client
from tests.factories import CapFactory, MouVersionFactory, role

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions():
    """2015: SW pay ≤ £22.50, no charge cap. 2018: SW pay ≤ £25.00, charge ≤ £33.00; limited company pay ≤ £27.00."""
    v2015 = MouVersionFactory(name="January 2015", effective_from=date(2015, 1, 1))
    v2018 = MouVersionFactory(name="April 2018", effective_from=date(2018, 4, 1), status=MouVersion.Status.IN_FORCE)
    CapFactory(version=v2015, role=role("SW"), max_pay_rate=Decimal("22.50"), max_charge_rate=None)
    CapFactory(version=v2018, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    CapFactory(
        version=v2018, role=role("SW"), engagement_type="limited", max_pay_rate=Decimal("27.00"), max_charge_rate=None
    )
    return v2015, v2018


def check(user, **params):
    return token_client(user).get("/api/v1/cap-check/", params)


def test_a_rate_over_the_pay_cap_says_by_how_much(agency_user, versions):
    v2015, _ = versions
    response = check(agency_user, role="SW", date="2016-05-01", pay_rate="24.00", charge_rate="35.00")
    assert response.status_code == 200
    assert response.json() == {
        "within_cap": False,
        "cap": {"max_pay_rate": "22.50", "max_charge_rate": None},
        "pay_excess": "1.50",
        "charge_excess": "0.00",
        "mou_version": v2015.pk,
        "mou_version_name": "January 2015",
        "on_costs_counted": False,
    }


def test_a_rate_on_the_cap_is_within_it(council_user, versions):
    _, v2018 = versions
    response = check(council_user, role="SW", date="2018-04-01", pay_rate="25.00", charge_rate="33.00")
    assert response.json() == {
        "within_cap": True,
        "cap": {"max_pay_rate": "25.00", "max_charge_rate": "33.00"},
        "pay_excess": "0.00",
        "charge_excess": "0.00",
        "mou_version": v2018.pk,
        "mou_version_name": "April 2018",
        "on_costs_counted": False,
    }


def test_the_charge_cap_is_checked_too(analyst, versions):
    body = check(analyst, role="SW", date="2020-01-01", pay_rate="24.00", charge_rate="34.25").json()
    assert (body["within_cap"], body["pay_excess"], body["charge_excess"]) == (False, "0.00", "1.25")


def test_an_engagement_types_own_cap_wins(coordinator, versions):
    body = check(
        coordinator, role="SW", date="2020-01-01", pay_rate="26.00", charge_rate="50.00", engagement_type="limited"
    ).json()
    assert (body["within_cap"], body["cap"]) == (True, {"max_pay_rate": "27.00", "max_charge_rate": None})


def test_a_role_outside_the_mou_is_always_within_the_cap(agency_user, versions):
    body = check(agency_user, role="SM", date="2020-01-01", pay_rate="60.00", charge_rate="80.00").json()
    assert body == {
        "within_cap": True,
        "cap": None,
        "pay_excess": "0.00",
        "charge_excess": "0.00",
        "mou_version": None,
        "mou_version_name": None,
        "on_costs_counted": False,
    }


def test_a_version_without_a_cap_for_the_role_names_the_version(agency_user, versions):
    _, v2018 = versions
    body = check(agency_user, role="TM", date="2020-01-01", pay_rate="60.00", charge_rate="80.00").json()
    assert (body["within_cap"], body["cap"], body["mou_version"]) == (True, None, v2018.pk)


def test_a_placement_started_before_a_revision_stays_under_its_version_until_bound(agency_user, versions):
    v2015, v2018 = versions
    v2018.binds_existing_from = date(2018, 10, 1)
    v2018.save()
    rates = {"role": "SW", "pay_rate": "24.00", "charge_rate": "30.00"}
    before = check(agency_user, date="2018-06-01", started_on="2017-01-02", **rates).json()
    assert (before["mou_version"], before["pay_excess"]) == (v2015.pk, "1.50")
    bound = check(agency_user, date="2018-10-01", started_on="2017-01-02", **rates).json()
    assert (bound["mou_version"], bound["pay_excess"]) == (v2018.pk, "0.00")


@pytest.mark.parametrize(
    "params, errors",
    [
        (
            {"role": "XX", "date": "2020-01-01", "pay_rate": "20.00", "charge_rate": "30.00"},
            {"role": ["unknown role"]},
        ),
        (
            {"role": "SW", "date": "01/01/2020", "pay_rate": "twenty", "charge_rate": "30.00"},
            {
                "date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
                "pay_rate": ["A valid number is required."],
            },
        ),
        (
            {"role": "SW", "date": "2020-01-01", "pay_rate": "-1", "charge_rate": "30.005"},
            {
                "pay_rate": ["Ensure this value is greater than or equal to 0."],
                "charge_rate": ["Ensure that there are no more than 2 decimal places."],
            },
        ),
        (
            {"role": "SW", "date": "2020-01-01", "pay_rate": "20.00", "engagement_type": "cash"},
            {"charge_rate": ["This field is required."], "engagement_type": ['"cash" is not a valid choice.']},
        ),
        (
            {
                "role": "SW",
                "date": "2020-01-01",
                "pay_rate": "20.00",
                "charge_rate": "30.00",
                "started_on": "2020-01-02",
            },
            {"started_on": ["The placement would start after the day of work."]},
        ),
    ],
)
def test_bad_parameters_are_field_errors(agency_user, versions, params, errors):
    response = check(agency_user, **params)
    assert response.status_code == 400
    assert response.json() == errors


def test_the_cap_check_needs_a_signed_in_user(versions):
    response = APIClient().get("/api/v1/cap-check/", {"role": "SW", "date": "2020-01-01", "pay_rate": "1"})
    assert response.status_code == 401


def test_a_cap_check_takes_a_fixed_number_of_queries(agency_user, versions, django_assert_num_queries):
    client = token_client(agency_user)
    # Savepoint (ATOMIC_REQUESTS); token with its user; the role; the binding version; its cap; release.
    with django_assert_num_queries(6):
        client.get("/api/v1/cap-check/", {"role": "SW", "date": "2020-01-01", "pay_rate": "1", "charge_rate": "2"})
