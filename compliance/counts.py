"""The counts of breach cases the pages read (`BreachCount`, `OpenBreachCount`): kept by triggers on breaches, read
here, and rebuilt from the cases when something wrote them with the triggers off.

A count a page shows is always of the reader's own scope (`visible_to`), like the list it stands for.
"""

from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from compliance.models import Breach, BreachCount, OpenBreachCount
from futuresocial.scoping import visible_to

OPEN = ~Q(status__in=Breach.CLOSED_STATUSES)

# The counts from the cases themselves: what the triggers keep, in one statement each. The migration that created
# the tables filled them with the same statements.
REBUILD_SQL = [
    "DELETE FROM compliance_breachcount",
    """
    INSERT INTO compliance_breachcount (agency_id, authority_id, assignee_id, status, n)
    SELECT agency_id, authority_id, assignee_id, status, count(*) FROM compliance_breach
     GROUP BY agency_id, authority_id, assignee_id, status
    """,
    "DELETE FROM compliance_openbreachcount",
    f"""
    INSERT INTO compliance_openbreachcount (detected_on, agency_id, authority_id, n)
    SELECT (detected_at AT TIME ZONE '{settings.TIME_ZONE}')::date, agency_id, authority_id, count(*)
      FROM compliance_breach WHERE status NOT IN ('resolved', 'dismissed')
     GROUP BY 1, agency_id, authority_id
    """,
]


@transaction.atomic
def breach_counts_rebuild() -> None:
    """Count the cases again, from scratch: after a bulk load made with the triggers off (bench/pages.py), or to
    repair. Writers of breaches wait for it (SHARE lock); readers do not."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE compliance_breach IN SHARE MODE")
        for statement in REBUILD_SQL:
            cursor.execute(statement)


def breach_status_counts(queryset) -> dict[str, int]:
    """How many cases of `queryset` are in each status (every status present, 0 when none), counted from the cases:
    for filters the maintained counts do not have. One query, over every case that matches."""
    by_status = dict.fromkeys(Breach.Status.values, 0)
    for row in queryset.order_by().values("status").annotate(n=Count("id")):
        by_status[row["status"]] = row["n"]
    return by_status


def breach_counts_by_status(counts) -> dict[str, int]:
    """How many cases of `counts` (a queryset of BreachCount, already scoped and filtered) are in each status, every
    status present (0 when none): one query over its groups."""
    by_status = dict.fromkeys(Breach.Status.values, 0)
    for row in counts.order_by().values("status").annotate(total=Sum("n")):
        by_status[row["status"]] = row["total"]
    return by_status


def open_breach_counts(*, user, detected_before: date) -> dict[str, int]:
    """The cases not yet closed that `user` may see: all of them, nobody's, `user`'s, and those detected before
    `detected_before` (the open total less those detected since: the days since `detected_before`, not every day).
    Two queries over the counts, whatever the number of cases."""
    totals = (
        visible_to(BreachCount.objects.filter(OPEN), user)
        .order_by()
        .aggregate(
            unresolved=Sum("n", default=0),
            unassigned=Sum("n", filter=Q(assignee__isnull=True), default=0),
            mine=Sum("n", filter=Q(assignee=user), default=0),
        )
    )
    recent = (
        visible_to(OpenBreachCount.objects.filter(detected_on__gte=detected_before), user)
        .order_by()
        .aggregate(n=Sum("n", default=0))["n"]
    )
    return {**totals, "ageing": totals["unresolved"] - recent}
