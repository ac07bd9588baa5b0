"""Reads about agencies and suspensions: where a suspension stands on a day, and an agency's standing history."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import Agency, Suspension

AgencyEvent = Agency._meta.get_field("events").related_model
SuspensionEvent = Suspension._meta.get_field("events").related_model

# Where a suspension stands on a day, in the words the pages use.
IN_EFFECT, SCHEDULED, ENDED, LIFTED = "in_effect", "scheduled", "ended", "lifted"
STATE_LABELS = {IN_EFFECT: "In effect", SCHEDULED: "Starts later", ENDED: "Ended on its date", LIFTED: "Lifted"}
# The list's (and the coordinator's worklist's) "ending soon": in effect, with an end date within this many days.
ENDING_SOON, ENDING_SOON_DAYS = "ending_soon", 30


def suspension_state(suspension: Suspension, *, on: date) -> str:
    """In effect, starting later, ended on its date, or lifted (possibly from its start, before it ever took
    effect), as of `on`."""
    if suspension.is_active_on(on):
        return IN_EFFECT
    lifted_on = suspension.lifted_on
    if lifted_on is not None and (lifted_on <= on or lifted_on <= suspension.starts_on):
        return LIFTED
    if on < suspension.starts_on:
        return SCHEDULED
    return ENDED


def suspensions_in_state(queryset, *, state: str, on: date):
    """`queryset` narrowed to the suspensions in `state` on `on` (IN_EFFECT, ENDING_SOON, SCHEDULED, or anything
    else: over)."""
    in_effect = Q(pk__in=Suspension.objects.active_on(on).values("pk"))
    scheduled = Q(starts_on__gt=on) & (Q(lifted_on__isnull=True) | Q(lifted_on__gt=F("starts_on")))
    if state == IN_EFFECT:
        return queryset.filter(in_effect)
    if state == ENDING_SOON:
        return queryset.filter(in_effect, ends_on__isnull=False, ends_on__lte=on + timedelta(days=ENDING_SOON_DAYS))
    if state == SCHEDULED:
        return queryset.filter(scheduled)
    return queryset.exclude(in_effect).exclude(scheduled)


# --- Standing history


@dataclass
class HistoryEntry:
    """One line of an agency's standing history: when, what happened, who did it, and why."""

    at: datetime
    what: str
    who: str
    why: str = ""
    kind: str = "standing"  # listed, standing, imposed, lifted, ended, changed: the line's style
    suspension_id: int | None = None
    order: int = 0  # among lines at the same moment: a suspension first, then the standing it caused


AUTOMATIC = "Automatic (daily standing check)"


def standing_history(*, agency: Agency, today: date) -> list[HistoryEntry]:
    """The agency's full standing history, newest first: its listing, every change of standing, every suspension
    imposed, lifted or ended on its date, with who and why.

    Read from pghistory's event tables (the triggers record every insert and update of agencies and suspensions,
    with the context the services and HistoryMiddleware attach: the user, and the reason given). Three queries: the
    agency's events, its suspensions' events, and the people named in them.
    """
    agency_events = list(
        AgencyEvent.objects.filter(pgh_obj_id=agency.pk)
        .select_related("pgh_context")
        .order_by("pgh_created_at", "pgh_id")
    )
    suspension_events = list(
        SuspensionEvent.objects.filter(agency_id=agency.pk)
        .select_related("pgh_context")
        .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
    )
    user_ids = {_context(e).get("user") for e in [*agency_events, *suspension_events]}
    user_ids |= {e.imposed_by_id for e in suspension_events} | {e.lifted_by_id for e in suspension_events}
    users = get_user_model().objects.in_bulk([pk for pk in user_ids if isinstance(pk, int)])

    def who(event, user_id=None):
        context = _context(event)
        user_id = user_id or context.get("user")
        if user_id in users:
            return str(users[user_id])
        if context.get("action") == "daily standing check":
            return AUTOMATIC
        return "—"

    entries: list[HistoryEntry] = []
    previous = None
    for event in agency_events:
        if previous is None:
            entries.append(
                HistoryEntry(
                    at=event.pgh_created_at,
                    what=f"Listed under the MoU, standing {Agency.Standing(event.standing).label.lower()}",
                    who=who(event),
                    kind="listed",
                    order=1,
                )
            )
        elif event.standing != previous.standing:
            entries.append(
                HistoryEntry(
                    at=event.pgh_created_at,
                    what=(
                        f"Standing {Agency.Standing(previous.standing).label.lower()} → "
                        f"{Agency.Standing(event.standing).label.lower()}"
                    ),
                    who=who(event),
                    why=_standing_why(event, previous),
                    kind=f"standing standing-{event.standing}",
                    order=1,
                )
            )
        previous = event

    last_of = {}
    previous = None
    for event in suspension_events:
        kind = Suspension.Kind(event.kind).label
        if previous is None or previous.pgh_obj_id != event.pgh_obj_id:
            period = (
                f"from {event.starts_on:%-d %B %Y} to {event.ends_on:%-d %B %Y}"
                if event.ends_on
                else f"from {event.starts_on:%-d %B %Y} until lifted"
            )
            entries.append(
                HistoryEntry(
                    at=event.pgh_created_at,
                    what=f"{kind} suspension imposed, {period}",
                    who=who(event, event.imposed_by_id),
                    why=event.reason,
                    kind="imposed",
                    suspension_id=event.pgh_obj_id,
                )
            )
        else:
            if previous.lifted_on is None and event.lifted_on is not None:
                before_start = event.lifted_on <= event.starts_on and event.pgh_created_at.date() < event.starts_on
                entries.append(
                    HistoryEntry(
                        at=event.pgh_created_at,
                        what=(
                            f"{kind} suspension lifted before it started"
                            if before_start
                            else f"{kind} suspension lifted from {event.lifted_on:%-d %B %Y}"
                        ),
                        who=who(event, event.lifted_by_id),
                        why=event.lift_reason,
                        kind="lifted",
                        suspension_id=event.pgh_obj_id,
                    )
                )
            if previous.ends_on != event.ends_on:
                entries.append(
                    HistoryEntry(
                        at=event.pgh_created_at,
                        what=f"{kind} suspension's end date {_day(previous.ends_on)} → {_day(event.ends_on)}",
                        who=who(event),
                        why=_context(event).get("reason", ""),
                        kind="changed",
                        suspension_id=event.pgh_obj_id,
                    )
                )
        last_of[event.pgh_obj_id] = event
        previous = event

    # A temporary suspension ends by itself: no one acts, so no event marks the day. Its last state says it.
    for event in last_of.values():
        if (
            event.ends_on is not None
            and event.ends_on <= today
            and (event.lifted_on is None or event.lifted_on >= event.ends_on)
        ):
            entries.append(
                HistoryEntry(
                    at=timezone.make_aware(datetime.combine(event.ends_on, time.min)),
                    what=f"{Suspension.Kind(event.kind).label} suspension ended on its date, {event.ends_on:%-d %B %Y}",
                    who=AUTOMATIC,
                    kind="ended",
                    suspension_id=event.pgh_obj_id,
                )
            )
    # Newest first. Lines of one transaction share its time: the standing after the suspension that caused it, and
    # within one table the later event first.
    ranked = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[1].order, pair[0]), reverse=True)
    return [entry for _, entry in ranked]


def _context(event) -> dict:
    return (event.pgh_context.metadata if event.pgh_context_id else None) or {}


def _day(day) -> str:
    return f"{day:%-d %B %Y}" if day else "none"


def _standing_why(event, previous) -> str:
    context = _context(event)
    if context.get("reason"):
        return context["reason"]
    if context.get("action") == "daily standing check":
        if event.standing == Agency.Standing.SUSPENDED:
            return "A suspension imposed in advance took effect on its start date."
        return "No suspension is in effect any more."
    return ""
