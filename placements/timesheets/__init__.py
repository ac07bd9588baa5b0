"""Timesheets: values parsed (values.py), lines staged and stored set-based (staging.py), a week submitted
(services.py). The public names are handed on from here."""

from placements.timesheets.services import timesheet_submit, timesheets_store
from placements.timesheets.staging import LineStaging, ReplacedLine, StoreResult
from placements.timesheets.values import (
    FIELDS,
    HOURS_MAX,
    RATE_MAX,
    InvalidValue,
    Line,
    TimesheetRejected,
    duplicate_date_message,
    outside_placement,
    outside_week,
    parse_date,
    parse_hours,
    parse_line,
    parse_rate,
    week_ending_of,
    week_ending_problem,
)

__all__ = [
    "FIELDS",
    "HOURS_MAX",
    "RATE_MAX",
    "InvalidValue",
    "Line",
    "LineStaging",
    "ReplacedLine",
    "StoreResult",
    "TimesheetRejected",
    "duplicate_date_message",
    "outside_placement",
    "outside_week",
    "parse_date",
    "parse_hours",
    "parse_line",
    "parse_rate",
    "timesheet_submit",
    "timesheets_store",
    "week_ending_of",
    "week_ending_problem",
]
