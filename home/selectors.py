from django.db.models import Count
from django.utils import timezone

from agencies.models import Agency, Suspension
from compliance.models import Breach, CorrectiveAction
from futuresocial.scoping import visible_to
from mou.selectors import version_in_force
from placements.models import Placement

HOME_LIST_LENGTH = 5


def home_summary(*, user):
    """What the home page shows a signed-in user: the figures of their own scope only."""
    today = timezone.localdate()
    placements = visible_to(Placement.objects.all(), user)
    breaches = visible_to(Breach.objects.all(), user)
    awaiting_signature = visible_to(CorrectiveAction.objects.filter(status=CorrectiveAction.Status.ISSUED), user)
    summary = {
        "version_in_force": version_in_force(on=today),
        "placements_current": placements.active_on(today).count(),
        "placements_total": placements.count(),
        "breaches_open": breaches.unresolved().count(),
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
