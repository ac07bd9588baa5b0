"""Timesheet values: the one place a line is validated, as pure functions (no database).

A value a person typed, or a cell of a spreadsheet, becomes a `Decimal` or a `date`, or is refused with a message
naming the value (SPEC §4: impossible input is refused, never stored).

- hours: a number from 0 to 24 with at most 2 decimal places ("7.5", "7.50", "0").
- pay_rate, charge_rate: a number of pounds ≥ 0 with at most 2 decimal places. "30.5", "30.50" and "£30.50" are
  accepted (spreadsheets often format rates as currency); thousands separators ("1,030.00"), exponents ("1e3"),
  "NaN", "Infinity", words and empty cells are refused.
- date: `YYYY-MM-DD`, or `DD/MM/YYYY` as UK spreadsheets write it (a spreadsheet's own date cell is accepted too;
  the API takes YYYY-MM-DD only); within the placement's start and end dates, not after today and, for a week's
  timesheet, within that week.
- A week ends on a Sunday; its timesheet has at most one line per date.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache, wraps
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone

from futuresocial.money import PENNY
from futuresocial.uploads import FormulaWithoutValue, formula_message

HOURS_MAX = Decimal(24)
RATE_MAX = Decimal("99999.99")  # TimesheetLine's rate columns hold 7 digits, 2 after the point
FIELDS = ("date", "hours", "pay_rate", "charge_rate")

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00)?)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?")


class InvalidValue(ValueError):
    """A value that cannot be a timesheet line's field; the message says why, naming the value."""

    @property
    def message(self) -> str:
        return self.args[0]


class Line(NamedTuple):
    """A validated timesheet line."""

    date: date
    hours: Decimal
    pay_rate: Decimal
    charge_rate: Decimal


# --- Values -----------------------------------------------------------------------------------------------------------

_CACHEABLE = (str, int, float, Decimal, date, type(None))


def _cached(parse):
    """Memoise a parser: a file repeats a handful of values ("7.50", "30.00", its dates) thousands of times.
    Refusals raise, so only good values are cached; values that cannot be hashed (a list sent as JSON) skip it."""
    cached = lru_cache(maxsize=4096, typed=True)(parse)

    @wraps(parse)
    def parse_value(value, *args, **kwargs):
        if isinstance(value, _CACHEABLE):
            try:
                return cached(value, *args, **kwargs)
            except TypeError:  # a value of a hashable type that cannot be hashed after all: Decimal("sNaN")
                pass
        return parse(value, *args, **kwargs)

    parse_value.cached = cached  # for callers whose values are always hashable (the upload's cells)
    return parse_value


def _shown(value) -> str:
    """A value as a message quotes it: numbers bare, text in quotes."""
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _number_text(value, field: str) -> str:
    """The text of a number cell, or InvalidValue. Floats come from spreadsheet cells: 12 significant digits drop
    binary noise (7.3 stays 7.3; 0.1 * 3 becomes 0.3) without hiding a real third decimal place."""
    if isinstance(value, FormulaWithoutValue):
        raise InvalidValue(formula_message(field, value))
    if value is None or isinstance(value, bool):
        raise InvalidValue(f"{field} is missing" if value is None else f"{field} must be a number (got {value})")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidValue(f"{field} is missing")
        return text
    raise InvalidValue(f"{field} must be a number (got {_shown(value)})")


def _decimal(text: str, field: str, shown: str, example: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise InvalidValue(f"{field} must be a number like {example} (got {shown})")
    return Decimal(text)


def _two_places(number: Decimal, field: str, shown: str) -> Decimal:
    rounded = number.quantize(PENNY)
    if rounded != number:
        raise InvalidValue(f"{field} must have at most 2 decimal places (got {shown})")
    return rounded


@_cached
def parse_hours(value) -> Decimal:
    """Hours worked on a day: 0 to 24, at most 2 decimal places."""
    text = _number_text(value, "hours")
    shown = text if _NUMBER.fullmatch(text) else _shown(value)
    number = _decimal(text, "hours", shown, "7.50")
    if not 0 <= number <= HOURS_MAX:
        raise InvalidValue(f"hours must be between 0 and 24 (got {shown})")
    return _two_places(number, "hours", shown)


@_cached
def parse_rate(value, field: str = "pay_rate") -> Decimal:
    """An hourly rate in pounds (`field` is "pay_rate" or "charge_rate"): ≥ 0, at most 2 decimal places, an optional
    leading "£"."""
    text = _number_text(value, field)
    if text.startswith("£"):
        text = text[1:].strip()
    shown = text if _NUMBER.fullmatch(text) else _shown(value)
    number = _decimal(text, field, shown, "30.50")
    if number < 0:
        raise InvalidValue(f"{field} must not be negative (got {shown})")
    if number > RATE_MAX:
        raise InvalidValue(f"{field} must be at most {RATE_MAX} an hour (got {shown})")
    return _two_places(number, field, shown)


@_cached
def parse_date(value, field: str = "date") -> date:
    """A day: a date (or a spreadsheet's midnight datetime), or text as YYYY-MM-DD or DD/MM/YYYY."""
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise InvalidValue(f"{field} must be a day, not a time of day (got {value:%Y-%m-%d %H:%M})")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, FormulaWithoutValue):
        raise InvalidValue(formula_message(field, value))
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidValue(f"{field} is missing")
    text = str(value).strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise InvalidValue(f"{field} must be written YYYY-MM-DD or DD/MM/YYYY (got {_shown(value)})")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidValue(f"{field} {text} is not a day of the calendar") from None


@lru_cache(maxsize=4096)
def week_ending_of(day: date) -> date:
    """The Sunday that ends the week of `day` (weeks run Monday to Sunday)."""
    return day + timedelta(days=6 - day.weekday())


def last_full_week_ending(today: date) -> date:
    """The Sunday that ends the last full week before `today` (on a Sunday, the week before: today is not over)."""
    return week_ending_of(today) - timedelta(weeks=1)


# --- Dates against the placement and the week -------------------------------------------------------------------------


def outside_placement(day: date, *, starts_on: date, ends_on: date | None, today: date | None = None) -> str | None:
    """Why `day` cannot be worked on a placement running from `starts_on` to `ends_on`, as of `today` (default: the
    local date); None when it can. A day after today has not been worked yet: hours for it would count towards spend
    and caps before anyone did them."""
    if day > (today or timezone.localdate()):
        return f"date {day} has not happened yet: a timesheet records days already worked"
    if day < starts_on:
        return f"date {day} is before the placement started on {starts_on}"
    if ends_on is not None and day > ends_on:
        return f"date {day} is after the placement ended on {ends_on}"
    return None


def outside_week(day: date, *, week_ending: date) -> str | None:
    """Why `day` does not belong to the week ending `week_ending`; None when it does."""
    week_starting = week_ending - timedelta(days=6)
    if not week_starting <= day <= week_ending:
        return f"date {day} is not in the week ending {week_ending} ({week_starting} to {week_ending})"
    return None


def week_ending_problem(week_ending: date, *, starts_on: date, ends_on: date | None) -> str | None:
    """Why a timesheet cannot be for the week ending `week_ending`: not a Sunday, or no day of it in the placement."""
    if week_ending.weekday() != 6:
        return f"week_ending must be a Sunday (got {week_ending:%A} {week_ending})"
    week_starting = week_ending - timedelta(days=6)
    if week_ending < starts_on:
        return f"the week ending {week_ending} is before the placement started on {starts_on}"
    if ends_on is not None and week_starting > ends_on:
        return f"the week ending {week_ending} starts after the placement ended on {ends_on}"
    return None


def duplicate_date_message(day: date, *, first: int, where: str = "line") -> str:
    return f"date {day} is already on {where} {first} (one line per day)"


def parse_line(
    raw: Mapping, *, starts_on: date, ends_on: date | None, week_ending: date | None = None
) -> tuple[Line | None, dict[str, str]]:
    """Validate one line (`raw` has `date`, `hours`, `pay_rate`, `charge_rate`, as text or typed values).

    Returns the clean `Line` and no errors, or None and {field: message} naming every field that is wrong.
    """
    errors: dict[str, str] = {}
    values = {}
    for field, parse in (("date", parse_date), ("hours", parse_hours)):
        try:
            values[field] = parse(raw.get(field))
        except InvalidValue as error:
            errors[field] = error.message
    for field in ("pay_rate", "charge_rate"):
        try:
            values[field] = parse_rate(raw.get(field), field)
        except InvalidValue as error:
            errors[field] = error.message
    if "date" in values:
        day = values["date"]
        problem = outside_placement(day, starts_on=starts_on, ends_on=ends_on)
        if problem is None and week_ending is not None:
            problem = outside_week(day, week_ending=week_ending)
        if problem is not None:
            errors["date"] = problem
    if errors:
        return None, errors
    return Line(**values), {}


# --- Refusal ----------------------------------------------------------------------------------------------------------


class TimesheetRejected(ValidationError):
    """A timesheet refused as a whole: nothing was stored.

    `errors` lists every problem as {"line": n (1-based; None for the week itself), "field": ..., "message": ...}.
    As a Django ValidationError its message dict is {"week_ending": [...], "lines": ["line 2, hours: ..."]};
    `detail` is the same in DRF's nested shape, {"lines": [{}, {"hours": ["..."]}, ...]}, one entry per line sent.
    """

    def __init__(self, errors: list[dict], *, line_count: int = 0):
        self.errors = errors
        self.line_count = line_count
        by_field: dict[str, list[str]] = {}
        for error in errors:
            if error["line"] is None:
                by_field.setdefault(error["field"], []).append(error["message"])
            else:
                by_field.setdefault("lines", []).append(f"line {error['line']}, {error['field']}: {error['message']}")
        super().__init__(by_field)

    @property
    def detail(self) -> dict:
        detail: dict = {}
        lines: list[dict] = [{} for _ in range(self.line_count)]
        for error in self.errors:
            if error["line"] is None:
                detail.setdefault(error["field"], []).append(error["message"])
            else:
                lines[error["line"] - 1].setdefault(error["field"], []).append(error["message"])
        if any(lines):
            detail["lines"] = lines
        return detail
