"""Storing timesheet lines, set-based: the one place they are written.

`LineStaging` (used by `timesheets_store` for the form and the API, and by the upload): lines are COPY'd into a
temporary table, then three statements store any number of weeks at once — an upsert of the timesheets that bumps the
revision of weeks already submitted, one UPDATE that marks their previous lines superseded, and one INSERT ... SELECT
of the new lines — and the audit is told (`work_submitted`), which queues itself for after the commit. With
`skip_unchanged` (the upload), one more statement first takes out the weeks whose lines are exactly the week's current
lines, under a lock on their placements, so a week sent again (or twice at once) stores nothing, as `timesheet_submit`
does for one week.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from placements.signals import work_submitted
from placements.watermark import hold_audit_watermark

# --- Storing ----------------------------------------------------------------------------------------------------------

# How many replaced lines a store lists (the days dropped first); the counts cover all of them. A month's file for 50
# workers replaces about 1,000; an answer listing 700,000 (a year re-sent) would be megabytes.
REPLACED_LINES_LISTED = 1000


@dataclass(frozen=True)
class ReplacedLine:
    """A line a resubmission superseded: kept in history, no longer current."""

    id: int
    placement_id: int
    week_ending: date
    date: date
    hours: Decimal
    pay_rate: Decimal
    charge_rate: Decimal
    dropped: bool  # the new revision has no line on its day: the day is no longer in the week at all


@dataclass(frozen=True)
class StoreResult:
    timesheets_created: int
    timesheets_revised: int
    lines_stored: int
    timesheets_unchanged: int = 0  # weeks sent with exactly their current lines: nothing stored for them
    # The lines the revised weeks had before: up to REPLACED_LINES_LISTED, the dropped days first, then by placement
    # and date; and how many there are in all, and how many of them were dropped.
    replaced_lines: tuple[ReplacedLine, ...] = ()
    lines_replaced: int = 0
    lines_dropped: int = 0

    @property
    def weeks(self) -> int:
        return self.timesheets_created + self.timesheets_revised + self.timesheets_unchanged


# SET CONSTRAINTS for placements_timesheet's deferrable foreign keys, found by table rather than by the names Django
# generated for them. (No "%" in it: under pghistory's context the statement is sent with parameters.)
def _set_foreign_keys(mode: str) -> str:
    return f"""
    DO $$ BEGIN
        EXECUTE coalesce(
            (SELECT 'SET CONSTRAINTS ' || string_agg(quote_ident(conname), ', ') || ' {mode}'
             FROM pg_constraint
             WHERE conrelid = 'placements_timesheet'::regclass AND contype = 'f' AND condeferrable AND condeferred),
            'SELECT 1'  -- no deferred foreign keys: nothing to do
        );
    END $$
    """


_FOREIGN_KEYS_IMMEDIATE = _set_foreign_keys("IMMEDIATE")
_FOREIGN_KEYS_DEFERRED = _set_foreign_keys("DEFERRED")


class LineStaging:
    """Validated lines on their way in, held in a temporary table rather than in Python: a 100,000-row upload
    streams through it in chunks with bounded memory, and duplicates are found in SQL.

    Use inside `transaction.atomic()`: `with LineStaging() as staging: staging.add(rows); staging.store(by=user)`.
    A row is (row number, placement id, week ending, date, hours, pay rate, charge rate); the row number is what
    errors name. An exception inside the block rolls the table back with the transaction.
    """

    table = "timesheet_line_staging"

    def __enter__(self):
        if not connection.in_atomic_block:
            raise RuntimeError("LineStaging must be used inside transaction.atomic()")
        with connection.cursor() as cursor:
            # ON COMMIT DROP: gone with the transaction even if the block is left by an exception.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (row integer NOT NULL, placement_id bigint NOT NULL, "
                "week_ending date NOT NULL, date date NOT NULL, hours numeric(4, 2) NOT NULL, "
                "pay_rate numeric(7, 2) NOT NULL, charge_rate numeric(7, 2) NOT NULL) ON COMMIT DROP"
            )
        self.rows = 0
        self._analysed = False  # statistics of the staging table as it now is (ANALYZE)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {self.table}")  # the caller's transaction may go on to stage again
        return False

    def add(self, rows: Iterable[tuple]) -> int:
        """COPY rows into the staging table (one COPY statement however many rows)."""
        count = 0
        with connection.cursor() as cursor:
            sql = f"COPY {self.table} (row, placement_id, week_ending, date, hours, pay_rate, charge_rate) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                # COPY's text format written here rather than by psycopg's write_row(), value by value: twice as fast,
                # and safe because every value is an int, a date or a Decimal (no tab, newline or backslash).
                batch = []
                for number, placement_id, week_ending, day, hours, pay_rate, charge_rate in rows:
                    batch.append(
                        f"{number}\t{placement_id}\t{week_ending}\t{day}\t{hours}\t{pay_rate}\t{charge_rate}\n"
                    )
                    if len(batch) == 10_000:
                        copy.write("".join(batch))
                        count += len(batch)
                        batch.clear()
                copy.write("".join(batch))
                count += len(batch)
        self.rows += count
        self._analysed = False
        return count

    def _analyse(self, cursor):
        # Temporary tables are never auto-analysed; without statistics the joins below are planned blind.
        if not self._analysed:
            cursor.execute(f"ANALYZE {self.table}")
            self._analysed = True

    def duplicates(self, *, limit: int) -> tuple[list[tuple[int, int, date, int]], int]:
        """Rows repeating an earlier row's (placement, date): up to `limit` of (row, placement id, date, first row),
        in row order, and how many there are in all."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH repeated AS (
                    SELECT placement_id, date, min(row) AS first_row
                    FROM {self.table}
                    GROUP BY placement_id, date
                    HAVING count(*) > 1
                )
                SELECT line.row, line.placement_id, line.date, repeated.first_row, count(*) OVER ()
                FROM {self.table} AS line
                JOIN repeated ON repeated.placement_id = line.placement_id AND repeated.date = line.date
                WHERE line.row > repeated.first_row
                ORDER BY line.row
                LIMIT %s
                """,
                [limit],
            )
            found = cursor.fetchall()
        return [row[:4] for row in found], (found[0][4] if found else 0)

    def _drop_unchanged(self) -> tuple[int, int]:
        """Take out of the staging table every week whose staged lines are exactly the week's current lines (the same
        dates, hours and rates, none more, none fewer). Returns (weeks dropped, rows dropped).

        The staged weeks' placements are locked first, until the commit: the same file sent twice at once makes the
        second wait for the first, then find the first's lines current and drop every week. In id order, so two
        overlapping uploads cannot deadlock; NO KEY UPDATE, as `timesheet_submit` takes it, so other writers'
        foreign keys to the placement are not held up. The comparison is a statement of its own, after the lock:
        under READ COMMITTED it then sees what the transaction it waited for committed.
        """
        with connection.cursor() as cursor:
            self._analyse(cursor)
            cursor.execute(
                f"""
                SELECT count(*) FROM (
                    SELECT id FROM placements_placement
                    WHERE id IN (SELECT placement_id FROM {self.table})
                    ORDER BY id
                    FOR NO KEY UPDATE
                ) AS locked
                """
            )
            # A week is changed when a staged line has no identical current line, or a current line no identical
            # staged line (dates are unique on both sides: one line per day). The rest are dropped.
            cursor.execute(
                f"""
                WITH week AS (
                    SELECT DISTINCT placement_id, week_ending FROM {self.table}
                ),
                current_line AS (
                    SELECT sheet.placement_id, sheet.week_ending, line.date, line.hours, line.pay_rate,
                           line.charge_rate
                    FROM week
                    JOIN placements_timesheet AS sheet
                      ON sheet.placement_id = week.placement_id AND sheet.week_ending = week.week_ending
                    JOIN placements_timesheetline AS line
                      ON line.timesheet_id = sheet.id AND line.revision = sheet.revision
                    WHERE line.superseded_at IS NULL
                ),
                changed AS (
                    SELECT DISTINCT coalesce(staged.placement_id, current_line.placement_id) AS placement_id,
                                    coalesce(staged.week_ending, current_line.week_ending) AS week_ending
                    FROM {self.table} AS staged
                    FULL JOIN current_line
                      ON current_line.placement_id = staged.placement_id
                     AND current_line.week_ending = staged.week_ending
                     AND current_line.date = staged.date
                     AND current_line.hours = staged.hours
                     AND current_line.pay_rate = staged.pay_rate
                     AND current_line.charge_rate = staged.charge_rate
                    WHERE staged.row IS NULL OR current_line.date IS NULL
                ),
                unchanged AS (
                    SELECT placement_id, week_ending FROM week
                    EXCEPT
                    SELECT placement_id, week_ending FROM changed
                ),
                dropped AS (
                    DELETE FROM {self.table} AS staged
                    USING unchanged
                    WHERE staged.placement_id = unchanged.placement_id AND staged.week_ending = unchanged.week_ending
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM unchanged), (SELECT count(*) FROM dropped)
                """
            )
            weeks, rows = cursor.fetchone()
        if rows:
            self._analysed = False
        return weeks, rows

    def store(self, *, by=None, skip_unchanged: bool = False) -> StoreResult:
        """Store every staged week: create or revise its timesheet, supersede its previous lines, insert the new ones,
        and queue an audit for after the commit. Weeks present replace their lines entirely; others are untouched.

        With `skip_unchanged`, a week whose lines are exactly its current lines stores nothing (no new revision,
        nothing superseded), decided under a lock on its placement (see `_drop_unchanged`); when no week is left,
        nothing is stored and no audit queued."""
        unchanged = 0
        if skip_unchanged:
            unchanged, dropped = self._drop_unchanged()
            if dropped == self.rows:
                return StoreResult(0, 0, 0, timesheets_unchanged=unchanged)
        user_id = by.pk if by is not None else None
        hold_audit_watermark()  # the audit judges lines by id: these must not commit behind its watermark
        with connection.cursor() as cursor:
            self._analyse(cursor)
            # Row triggers that catch an exception (pghistory's context lookup, pgtrigger's ignore list) make
            # PostgreSQL rescan the transaction's deferred trigger events each time: with Django's deferred foreign
            # keys queued for every row of this statement, that is quadratic (20,000 weeks took 11 s instead of
            # 1.3 s). Checking the timesheet's foreign keys at the end of the statement keeps that list short.
            cursor.execute(_FOREIGN_KEYS_IMMEDIATE)
            # One statement for every week. A concurrent submission of the same week waits on the unique index,
            # then takes the UPDATE branch: it becomes the next revision rather than a second revision 1. Weeks
            # are taken in key order so two overlapping uploads lock rows in the same order (no deadlock).
            cursor.execute(
                f"""
                WITH weeks AS (
                    INSERT INTO placements_timesheet (placement_id, week_ending, revision, submitted_by_id,
                                                      submitted_at)
                    SELECT DISTINCT placement_id, week_ending, 1, %s::bigint, now()
                    FROM {self.table}
                    ORDER BY placement_id, week_ending
                    ON CONFLICT (placement_id, week_ending) DO UPDATE
                    SET revision = placements_timesheet.revision + 1,
                        submitted_by_id = EXCLUDED.submitted_by_id,
                        submitted_at = EXCLUDED.submitted_at
                    RETURNING revision
                )
                SELECT count(*) FILTER (WHERE revision = 1), count(*) FILTER (WHERE revision > 1) FROM weeks
                """,
                [user_id],
            )
            created, revised = cursor.fetchone()
            cursor.execute(_FOREIGN_KEYS_DEFERRED)  # back to Django's default for the rest of the transaction
            replaced, replaced_total, dropped_total = [], 0, 0
            if revised:
                # The lines of the revisions just replaced: kept as history, no longer current. The same statement
                # says which they were, and which days the new revisions no longer have (a week sent with fewer
                # days drops the others: SPEC, "Resubmitting a week replaces its lines").
                cursor.execute(
                    f"""
                    WITH superseded AS (
                        UPDATE placements_timesheetline AS line
                        SET superseded_at = now()
                        FROM placements_timesheet AS sheet
                        JOIN (SELECT DISTINCT placement_id, week_ending FROM {self.table}) AS week
                          ON week.placement_id = sheet.placement_id AND week.week_ending = sheet.week_ending
                        WHERE line.timesheet_id = sheet.id
                          AND line.revision < sheet.revision
                          AND line.superseded_at IS NULL
                        RETURNING line.id, line.placement_id, sheet.week_ending, line.date, line.hours,
                                  line.pay_rate, line.charge_rate
                    ),
                    judged AS (
                        SELECT superseded.*, NOT EXISTS (
                            SELECT 1 FROM {self.table} AS staged
                            WHERE staged.placement_id = superseded.placement_id AND staged.date = superseded.date
                        ) AS dropped
                        FROM superseded
                    )
                    SELECT *, count(*) OVER (), count(*) FILTER (WHERE dropped) OVER ()
                    FROM judged
                    ORDER BY dropped DESC, placement_id, date
                    LIMIT %s
                    """,
                    [REPLACED_LINES_LISTED],
                )
                found = cursor.fetchall()
                replaced = [ReplacedLine(*row[:8]) for row in found]
                replaced_total, dropped_total = found[0][8:] if found else (0, 0)
            cursor.execute(
                f"""
                INSERT INTO placements_timesheetline (timesheet_id, placement_id, revision, date, hours, pay_rate,
                                                      charge_rate)
                SELECT sheet.id, line.placement_id, sheet.revision, line.date, line.hours, line.pay_rate,
                       line.charge_rate
                FROM {self.table} AS line
                JOIN placements_timesheet AS sheet
                  ON sheet.placement_id = line.placement_id AND sheet.week_ending = line.week_ending
                ORDER BY line.row
                """
            )
            lines = cursor.rowcount
        work_submitted.send(sender=LineStaging, trigger="timesheet", by=by)  # the audit queues itself on commit
        return StoreResult(
            timesheets_created=created,
            timesheets_revised=revised,
            lines_stored=lines,
            timesheets_unchanged=unchanged,
            replaced_lines=tuple(replaced),
            lines_replaced=replaced_total,
            lines_dropped=dropped_total,
        )
