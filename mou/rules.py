"""The arithmetic of the MoU's rules: small pure functions, tested on their boundaries without a database."""

from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


def excess_over(rate: Decimal, cap: Decimal | None) -> Decimal:
    """How far an hourly rate is above its cap (0.00 when within it, or when there is no cap)."""
    if cap is None or rate <= cap:
        return ZERO
    return rate - cap


def pay_for_cap(*, pay_rate: Decimal, on_costs: Decimal | None, basis: str) -> Decimal:
    """What the pay cap is compared with: the hourly pay alone, or (basis `pay_and_on_costs`, as the national caps
    define it) the pay plus the employer's on-costs. The audit's SQL says the same (compliance/audit.py)."""
    if basis == "pay_and_on_costs":
        return pay_rate + (on_costs or ZERO)
    return pay_rate


def add_months(day: date, months: int) -> date:
    """`day` plus whole calendar months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def within_cooling_off(*, left_on: date, starts_on: date, months: int) -> bool:
    """True when a placement starting on `starts_on` is within `months` of the worker leaving a permanent post."""
    return left_on <= starts_on < add_months(left_on, months)


def has_min_experience(*, qualified_on: date, starts_on: date, years: int) -> bool:
    """True when the worker has at least `years` since qualification on the placement's first day."""
    return add_months(qualified_on, 12 * years) <= starts_on
