"""The derived rates of SPEC §3, on a return and on summed figures: pure arithmetic, no database."""

from datetime import date
from decimal import Decimal

from workforce.models import WorkforceReturn
from workforce.selectors import Totals, _derived_point


def a_return(permanent, agency, vacancies, leavers):
    return WorkforceReturn(
        period_end=date(2025, 3, 31),
        permanent_fte=Decimal(permanent),
        agency_fte=Decimal(agency),
        vacancies_fte=Decimal(vacancies),
        leavers_fte=Decimal(leavers),
    )


def test_agency_rate_is_agency_over_agency_plus_employed():
    assert a_return("180", "45", "0", "0").agency_rate == Decimal("20.0")


def test_turnover_is_leavers_over_employed():
    assert a_return("180", "0", "0", "27").turnover_rate == Decimal("15.0")


def test_vacancy_rate_is_vacancies_over_vacancies_plus_employed():
    assert a_return("180", "0", "20", "0").vacancy_rate == Decimal("10.0")


def test_rates_are_percentages_to_one_decimal_place():
    assert a_return("2", "1", "0", "0").agency_rate == Decimal("33.3")
    assert a_return("8", "0", "0", "1").turnover_rate == Decimal("12.5")
    assert a_return("153.6", "46", "19", "18.9").agency_rate == Decimal("23.0")  # Solihull 2025, published 23.0


def test_nobody_employed_makes_turnover_not_applicable_never_zero():
    point = _derived_point(date(2025, 3, 31), a_return("0", "0", "0", "3"))
    assert point.turnover_rate is None
    assert point.agency_rate is None
    assert point.suppressed == {"agency_rate": "z", "turnover_rate": "z", "vacancy_rate": "z"}


def test_a_sum_with_a_suppressed_input_is_a_gap_carrying_its_code():
    totals = Totals(
        employed_fte=Decimal("300"), agency_fte=None, vacancies_fte=Decimal("30"), leavers_fte=Decimal("45")
    )
    point = _derived_point(date(2024, 9, 30), totals, suppressed_inputs={"agency_fte": "u"})
    assert point.agency_rate is None
    assert point.suppressed == {"agency_rate": "u"}
    assert (point.turnover_rate, point.vacancy_rate) == (Decimal("15.0"), Decimal("9.1"))


def test_a_half_is_rounded_up_as_the_dfe_publishes_it():
    # 13 leavers over 80 employed is exactly 16.25 %: published as 16.3 (half-even rounding would give 16.2).
    assert a_return("80", "0", "0", "13").turnover_rate == Decimal("16.3")
    # 3 agency over 3 + 37 employed is exactly 7.5 %: nothing to round.
    assert a_return("37", "3", "0", "0").agency_rate == Decimal("7.5")
