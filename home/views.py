from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from home.selectors import home_summary, last_audit, open_breach_counts, worklist


@login_required
def home(request):
    user, today = request.user, timezone.localdate()
    counts = open_breach_counts(user=user, today=today)
    return render(
        request,
        "home/home.html",
        {
            "summary": home_summary(user=user, breaches_open=counts["unresolved"]),
            "worklist": worklist(user=user, today=today, counts=counts),
            "last_audit": last_audit(user=user),
        },
    )
