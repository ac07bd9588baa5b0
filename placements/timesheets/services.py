"""Submitting timesheets: validate (placements/timesheets/values.py), then store (staging.py)."""

from collections.abc import Iterable, Mapping
from datetime import date

from django.db import transaction

from placements.models import Placement, Timesheet
from placements.timesheets.staging import LineStaging, StoreResult
from placements.timesheets.values import (
    InvalidValue,
    Line,
    TimesheetRejected,
    duplicate_date_message,
    parse_date,
    parse_line,
    week_ending_problem,
)


@transaction.atomic
def timesheets_store(*, weeks: Mapping[tuple[int, date], Iterable[Line]], by=None) -> StoreResult:
    """Store validated lines grouped by (placement id, week ending), in one transaction, set-based.

    Each week given gets a new revision (revision 1 if new) whose lines are exactly those given; the previous
    revision's lines stay, marked `superseded_at`; a week given no lines is left alone. An audit is queued for after
    the commit. The lines must have been validated (`parse_line`) and hold one line per date per week: the database
    refuses the rest.
    """
    row_numbers = iter(range(1, 2**31))
    with LineStaging() as staging:
        staging.add(
            (next(row_numbers), placement_id, week_ending, *line)
            for (placement_id, week_ending), lines in weeks.items()
            for line in lines
        )
        return staging.store(by=by)


def timesheet_submit(*, placement: Placement, week_ending, lines: list[Mapping], by=None) -> Timesheet:
    """Submit one week of a placement: validate every line, then store them as the week's new revision.

    `lines` are mappings with `date`, `hours`, `pay_rate`, `charge_rate` (text as typed, or typed values). Raises
    `TimesheetRejected` (a ValidationError) naming every bad line and field, storing nothing, when the week is not a
    Sunday in the placement, there are no lines, a value is impossible or a date appears twice.

    An agency that is suspended or removed may still submit for its placements: the work was done, the audit must
    judge it, and SPEC §3 lets existing placements run on (rule 3 flags placements that *started* while suspended).
    Who may submit for which placement is the caller's to check (`visible_to`), as for any write.

    Sending the week's current lines again changes nothing: the timesheet is returned as it is (no new revision).
    The timesheet returned carries `replaced_lines`: the `ReplacedLine`s this submission superseded (the week's
    previous lines, `dropped` on the days it no longer has); empty for a first or an unchanged submission.
    """
    errors: list[dict] = []
    try:
        week_ending = parse_date(week_ending, "week_ending")
    except InvalidValue as error:
        raise TimesheetRejected([{"line": None, "field": "week_ending", "message": error.message}]) from None
    if problem := week_ending_problem(week_ending, starts_on=placement.start_date, ends_on=placement.end_date):
        errors.append({"line": None, "field": "week_ending", "message": problem})
    if not lines:
        message = "a timesheet needs at least one line (a day of 0 hours is allowed)"
        errors.append({"line": None, "field": "lines", "message": message})
    clean: list[Line] = []
    first_line_of: dict[date, int] = {}
    for number, raw in enumerate(lines or [], start=1):
        if not isinstance(raw, Mapping):
            message = "each line must be a mapping of date, hours, pay_rate and charge_rate"
            errors.append({"line": number, "field": "line", "message": message})
            continue
        line, line_errors = parse_line(
            raw, starts_on=placement.start_date, ends_on=placement.end_date, week_ending=week_ending
        )
        errors.extend({"line": number, "field": field, "message": message} for field, message in line_errors.items())
        if line is None:
            continue
        if line.date in first_line_of:
            message = duplicate_date_message(line.date, first=first_line_of[line.date])
            errors.append({"line": number, "field": "date", "message": message})
            continue
        first_line_of[line.date] = number
        clean.append(line)
    if errors:
        raise TimesheetRejected(errors, line_count=len(lines or []))
    with transaction.atomic():
        # The same week sent twice at once (a double click, a client's retry): the placement's row, locked here until
        # the commit, makes the second wait for the first, then find its lines already current and store nothing.
        # NO KEY UPDATE: other writers' foreign keys to the placement are not held up.
        Placement.objects.select_for_update(no_key=True).filter(pk=placement.pk).values_list("pk").first()
        current = Timesheet.objects.filter(placement=placement, week_ending=week_ending).first()
        replaced = ()
        if current is None or _current_lines(current) != sorted(clean):
            replaced = timesheets_store(weeks={(placement.pk, week_ending): clean}, by=by).replaced_lines
            current = Timesheet.objects.get(placement=placement, week_ending=week_ending)
    current.replaced_lines = replaced  # at most a week's 7: all listed
    return current


def _current_lines(timesheet: Timesheet) -> list[Line]:
    rows = timesheet.lines.current().values_list("date", "hours", "pay_rate", "charge_rate")
    return sorted(Line(*row) for row in rows)
