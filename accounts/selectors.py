from agencies.models import Agency
from compliance.models import Breach, CorrectiveAction
from futuresocial.scoping import visible_to
from mou.selectors import version_in_force
from placements.models import Placement


def home_summary(*, user):
    """What the home page shows a signed-in user: the figures of their own scope only."""
    from django.utils import timezone

    today = timezone.localdate()
    placements = visible_to(Placement.objects.all(), user)
    breaches = visible_to(Breach.objects.all(), user)
    return {
        "version_in_force": version_in_force(on=today),
        "placements_current": placements.filter(start_date__lte=today).exclude(end_date__lt=today).count(),
        "placements_total": placements.count(),
        "breaches_open": breaches.exclude(status__in=["resolved", "dismissed"]).count(),
        "corrective_actions_awaiting_signature": visible_to(
            CorrectiveAction.objects.filter(status="issued"), user
        ).count(),
        "agencies_by_standing": {
            row["standing"]: row["n"]
            for row in visible_to(Agency.objects.all(), user).order_by().values("standing").annotate(n=_count())
        },
    }


def _count():
    from django.db.models import Count

    return Count("id")
