"""The lock between whoever adds work for the audit to judge and the audit fixing the range it judges.

Placements own it because they write what the audit reads (timesheet lines, placements, permanent leavers); the audit
(compliance/audit.py) and the dashboards' summaries (dashboards/summaries.py) take it exclusively.
"""

from django.db import connection

# Advisory lock between writers of lines/placements/leavers (shared) and an audit fixing its id range (exclusive).
WATERMARK_LOCK = 7_301_015


def hold_audit_watermark() -> None:
    """Called inside every transaction that adds timesheet lines, placements or permanent leavers.

    Ids come from sequences before commit, so a line with a low id may become visible after an audit has read the
    highest id; such a line would never be judged. Writers hold this lock (shared, until their commit) and an audit
    takes it exclusively while it fixes its range, so it waits for every in-flight write to commit first.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WATERMARK_LOCK])
