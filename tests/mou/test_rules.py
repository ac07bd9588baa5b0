"""The MoU's arithmetic, on its boundaries, without a database."""

from datetime import date
from decimal import Decimal

from mou.rules import add_months, excess_over, has_min_experience, within_cooling_off


def test_a_rate_at_the_cap_is_within_it():
    assert excess_over(Decimal("22.50"), Decimal("22.50")) == Decimal("0.00")


def test_a_penny_over_the_cap_is_a_penny_of_excess():
    assert excess_over(Decimal("22.51"), Decimal("22.50")) == Decimal("0.01")


def test_no_cap_means_no_excess():
    assert excess_over(Decimal("99.00"), None) == Decimal("0.00")


def test_adding_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 15), 12) == date(2025, 11, 15)


def test_cooling_off_covers_twelve_months_from_the_day_of_leaving():
    left = date(2024, 3, 15)
    assert within_cooling_off(left_on=left, starts_on=date(2024, 3, 15), months=12)
    assert within_cooling_off(left_on=left, starts_on=date(2025, 3, 14), months=12)
    assert not within_cooling_off(left_on=left, starts_on=date(2025, 3, 15), months=12)
    assert not within_cooling_off(left_on=left, starts_on=date(2024, 3, 14), months=12)


def test_minimum_experience_is_reached_on_the_anniversary_of_qualification():
    qualified = date(2022, 7, 1)
    assert not has_min_experience(qualified_on=qualified, starts_on=date(2025, 6, 30), years=3)
    assert has_min_experience(qualified_on=qualified, starts_on=date(2025, 7, 1), years=3)
