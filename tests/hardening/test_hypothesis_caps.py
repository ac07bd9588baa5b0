"""Property-based tests (hypothesis) of the cap rules: an excess is never negative, a rate is within the cap exactly
when both excesses are zero, and the excess grows with the rate; the cap-check API answers 200 or 400, never 500."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from mou.rules import ZERO, excess_over
from mou.selectors import cap_check
from tests.factories import CapFactory, MouVersionFactory, role
from tests.hardening.test_hypothesis_upload import Tried, bounded

RATES = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
CAPS = st.one_of(st.none(), RATES)


@bounded(1000)
@given(RATES, CAPS)
def test_an_excess_is_never_negative_and_is_the_rate_above_the_cap(rate, cap):
    excess = excess_over(rate, cap)
    assert excess >= 0
    assert excess == (ZERO if cap is None else max(rate - cap, ZERO))


@bounded(1000)
@given(RATES, RATES, CAPS)
def test_an_excess_grows_with_the_rate(low, high, cap):
    low, high = min(low, high), max(low, high)
    assert excess_over(low, cap) <= excess_over(high, cap)


@pytest.fixture
def caps(db):
    """Two versions: £30.00 / £40.00 from 2015; £32.50 / £43.00 from April 2020 (for new work and, from 2021, all)."""
    first = MouVersionFactory(name="2015", effective_from=date(2015, 1, 1), status="superseded")
    CapFactory(version=first, role=role("SW"), max_pay_rate=Decimal("30.00"), max_charge_rate=Decimal("40.00"))
    second = MouVersionFactory(
        name="2020", effective_from=date(2020, 4, 1), binds_existing_from=date(2021, 4, 1), status="in_force"
    )
    CapFactory(version=second, role=role("SW"), max_pay_rate=Decimal("32.50"), max_charge_rate=Decimal("43.00"))
    return {first.pk: (Decimal("30.00"), Decimal("40.00")), second.pk: (Decimal("32.50"), Decimal("43.00"))}


DAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 12, 31))


def test_a_cap_check_is_within_the_cap_exactly_when_both_excesses_are_zero(caps):
    tried = Tried("cap_check within ⇔ no excess, monotonic in the rate")
    sw = role("SW")

    @bounded(150)
    @given(DAYS, DAYS, RATES, st.one_of(st.none(), RATES), st.decimals(min_value=0, max_value=50, places=2))
    def check(worked_on, started_on, pay, charge, raise_by):
        tried()
        started_on = min(started_on, worked_on)
        answer = cap_check(role=sw, on=worked_on, pay_rate=pay, charge_rate=charge, started_on=started_on)
        max_pay, max_charge = caps[answer.mou_version.pk]
        assert answer.pay_excess == max(pay - max_pay, ZERO) >= 0
        assert answer.charge_excess == (ZERO if charge is None else max(charge - max_charge, ZERO)) >= 0
        assert answer.within_cap == (answer.pay_excess == 0 and answer.charge_excess == 0)
        higher = cap_check(role=sw, on=worked_on, pay_rate=pay + raise_by, charge_rate=charge, started_on=started_on)
        assert higher.pay_excess >= answer.pay_excess
        assert not (answer.within_cap is False and higher.within_cap is True)  # a higher rate never gets back in

    check()
    tried.report()
    assert tried.count == 150


TEXT = st.one_of(st.text(max_size=15), st.sampled_from(["", "30", "30.005", "-1", "1e9", "NaN", "2024-02-30", "SW"]))


def test_the_cap_check_api_answers_200_or_400_whatever_it_is_asked(caps, agency_user):
    tried = Tried("cap-check API with any parameters")
    api = APIClient()
    api.force_authenticate(agency_user)

    @bounded(200)
    @given(
        st.one_of(st.just("SW"), TEXT),
        st.one_of(DAYS.map(str), TEXT),
        st.one_of(RATES.map(str), TEXT),
        st.one_of(st.none(), RATES.map(str), TEXT),
        st.one_of(st.none(), st.sampled_from(["paye", "umbrella", "limited_company"]), TEXT),
    )
    def check(role_code, day, pay, charge, engagement):
        tried()
        params = {"role": role_code, "date": day, "pay_rate": pay}
        if charge is not None:
            params["charge_rate"] = charge
        if engagement is not None:
            params["engagement_type"] = engagement
        response = api.get("/api/v1/cap-check/", params)
        assert response.status_code in (200, 400), (params, response.content)
        body = response.json()
        if response.status_code == 200:
            assert body["within_cap"] == (Decimal(body["pay_excess"]) == 0 and Decimal(body["charge_excess"]) == 0)
        else:
            # Field errors, or (a NUL character, refused before any field) one message.
            assert body and (set(body) == {"detail"} or all(isinstance(errors, list) for errors in body.values()))

    check()
    tried.report()
    assert tried.count == 200
