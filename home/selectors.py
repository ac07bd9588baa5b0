from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Suspension
from agencies.selectors import ENDING_SOON, ENDING_SOON_DAYS, suspensions_in_state
from compliance import counts as breach_counts
from compliance.filters import DUE_SOON_DAYS, due_soon_q, overdue_q
from compliance.models import AuditRun, Breach, CorrectiveAction, Query
from futuresocial.scoping import visible_to
from mou.selectors import version_in_force
from placements.models import Placement
from placements.timesheets.values import last_full_week_ending
from workforce.models import WorkforceReturn

HOME_LIST_LENGTH = 5


def home_summary(*, user, breaches_open: int | None = None):
    """What the home page shows a signed-in user: the figures of their own scope only."""
    today = timezone.localdate()
    placements = visible_to(Placement.objects.all(), user)
    awaiting_signature = visible_to(CorrectiveAction.objects.filter(status=CorrectiveAction.Status.ISSUED), user)
    summary = {
        "version_in_force": version_in_force(on=today),
        "placements_current": placements.active_on(today).count(),
        "placements_total": placements.count(),
        # The worklist has read them already (`open_breach_counts`): not a second read of the counts.
        "breaches_open": (
            open_breach_counts(user=user, today=today)["unresolved"] if breaches_open is None else breaches_open
        ),
        "corrective_actions_awaiting_signature": awaiting_signature.count(),
        "agencies_by_standing": {
            row["standing"]: row["n"]
            for row in visible_to(Agency.objects.all(), user).order_by().values("standing").annotate(n=Count("id"))
        },
    }
    if user.is_agency and user.agency_id is not None:
        summary["agency"] = agency_portal_summary(agency=user.agency, user=user, today=today)
    return summary


def agency_portal_summary(*, agency, user, today):
    """An agency's own page: its standing (with the suspension behind it), its open breach cases, and the
    corrective actions waiting for its signature."""
    return {
        "standing": agency.standing,
        "standing_display": agency.get_standing_display(),
        "may_register_placements": agency.may_register_placements,
        "suspension": current_suspension(agency=agency, today=today),
        "open_breaches": list(
            visible_to(Breach.objects.all(), user)
            .unresolved()
            .select_related("placement__worker", "placement__role", "authority")
            .order_by("-detected_at", "-id")[:HOME_LIST_LENGTH]
        ),
        "awaiting_signature": list(
            visible_to(CorrectiveAction.objects.filter(status=CorrectiveAction.Status.ISSUED), user)
            .annotate(breaches_count=Count("breaches", distinct=True), items_count=Count("items", distinct=True))
            .order_by("issued_at", "id")
        ),
    }


def current_suspension(*, agency, today):
    """The suspension an agency is under today, if any (the latest in effect)."""
    return Suspension.objects.filter(agency=agency).active_on(today).order_by("-starts_on", "-id").first()


# --- The worklist: what needs this person now, each item linking to the list it counts

AGEING_DAYS = 30


@dataclass
class WorkItem:
    label: str
    count: int
    url: str
    hint: str = ""


def _link(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


def open_breach_counts(*, user, today: date) -> dict:
    """The worklist's counts of the cases not yet closed that `user` may see: all of them, nobody's, theirs, and
    those older than AGEING_DAYS; read from the maintained counts (compliance.counts), not from every case."""
    return breach_counts.open_breach_counts(user=user, detected_before=today - timedelta(days=AGEING_DAYS))


def worklist(*, user, today: date, counts: dict | None = None) -> list[WorkItem]:
    """The home page's worklist for `user`, in the order they would work it; every count is of their own scope."""
    actions = visible_to(CorrectiveAction.objects.all(), user)
    last_week = last_full_week_ending(today)
    counts = counts if counts is not None else open_breach_counts(user=user, today=today)
    items = []
    if user.is_agency:
        items += [
            WorkItem(
                "Corrective actions awaiting your signature",
                actions.filter(status=CorrectiveAction.Status.ISSUED).count(),
                _link("compliance:corrective-actions", status="issued"),
                "Read each agreement and sign it on behalf of your agency.",
            ),
            WorkItem(
                f"Remedial actions due in the next {DUE_SOON_DAYS} days",
                actions.filter(due_soon_q(today)).count(),
                _link("compliance:corrective-actions", due_soon="true"),
                "An agreement lapses if an action is not done by its date.",
            ),
            WorkItem(
                "Corrective actions overdue",
                actions.filter(overdue_q(today)).count(),
                _link("compliance:corrective-actions", overdue="true"),
            ),
            WorkItem(
                f"Timesheets not in for the week ending {last_week:%-d %B}",
                visible_to(Placement.objects.all(), user).missing_last_week(today).count(),
                _link("placements:list", state="missing_week"),
                "Placements that ran that week with no timesheet yet.",
            ),
            WorkItem("Open breach cases", counts["unresolved"], _link("compliance:breaches", status="unresolved")),
            WorkItem(
                "Your questions waiting for an answer",
                visible_to(Query.objects.filter(answered_at__isnull=True), user).count(),
                _link("compliance:queries", state="unanswered"),
            ),
        ]
        return items
    ageing_before = today - timedelta(days=AGEING_DAYS)
    items.append(
        WorkItem(
            "Breach cases nobody has taken" if user.is_regional else "Open breach cases",
            counts["unassigned"] if user.is_regional else counts["unresolved"],
            _link("compliance:breaches", status="unresolved", **({"assignee": "none"} if user.is_regional else {})),
        )
    )
    if user.is_coordinator:
        items.append(
            WorkItem(
                "Breach cases assigned to you",
                counts["mine"],
                _link("compliance:breaches", status="unresolved", assignee="me"),
            )
        )
    items.append(
        WorkItem(
            f"Breach cases open more than {AGEING_DAYS} days",
            counts["ageing"],
            _link(
                "compliance:breaches",
                status="unresolved",
                sort="detected",
                # The list's "to" date is inclusive: the day before the first day not counted.
                detected_before=ageing_before - timedelta(days=1),
            ),
            "Oldest first.",
        )
    )
    if user.is_regional:
        items += [
            WorkItem(
                "Corrective actions drafted, not yet issued",
                actions.filter(status=CorrectiveAction.Status.DRAFT).count(),
                _link("compliance:corrective-actions", status="draft"),
            ),
            WorkItem(
                "Corrective actions awaiting the agency's signature",
                actions.filter(status=CorrectiveAction.Status.ISSUED).count(),
                _link("compliance:corrective-actions", status="issued"),
            ),
        ]
    items += [
        WorkItem(
            f"Corrective actions with a remedial action due in the next {DUE_SOON_DAYS} days",
            actions.filter(due_soon_q(today)).count(),
            _link("compliance:corrective-actions", due_soon="true"),
            "They lapse if the action is not done by its date.",
        ),
        WorkItem(
            "Corrective actions overdue",
            actions.filter(overdue_q(today)).count(),
            _link("compliance:corrective-actions", overdue="true"),
            "The nightly pass lapses them.",
        ),
    ]
    if user.is_regional:
        ending = suspensions_in_state(Suspension.objects.all(), state=ENDING_SOON, on=today)
        items += [
            WorkItem(
                f"Suspensions ending in the next {ENDING_SOON_DAYS} days",
                ending.count(),
                _link("agencies:suspensions", state=ENDING_SOON),
                "The agency may register placements again from the day after.",
            ),
            WorkItem(
                "Questions waiting for an answer",
                Query.objects.filter(answered_at__isnull=True).count(),
                _link("compliance:queries", state="unanswered"),
            ),
        ]
    if user.is_council:
        quarter_end = last_quarter_end(today)
        filed = WorkforceReturn.objects.filter(authority_id=user.authority_id, period_end=quarter_end).exists()
        items.append(
            WorkItem(
                f"Workforce return for the quarter ended {quarter_end:%-d %B %Y}",
                0 if filed else 1,
                reverse("workforce:returns") if filed else reverse("workforce:return-new"),
                "Submitted." if filed else "Not submitted yet.",
            )
        )
    items.append(
        WorkItem(
            f"Placements that worked the week ending {last_week:%-d %B} with no timesheet yet",
            visible_to(Placement.objects.all(), user).missing_last_week(today).count(),
            _link("placements:list", state="missing_week"),
        )
    )
    return items


def last_quarter_end(today: date) -> date:
    """The last day of the last quarter that has ended by `today`."""
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return first_of_quarter - timedelta(days=1)


def last_audit(*, user):
    """The latest audit run, for the region's worklist (its status says whether the queue is up to date)."""
    if not user.is_regional:
        return None
    return AuditRun.objects.order_by("-id").first()
