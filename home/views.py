from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from home.selectors import home_summary, last_audit, worklist


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "home/home.html",
        {
            "summary": home_summary(user=user),
            "worklist": worklist(user=user, today=timezone.localdate()),
            "last_audit": last_audit(user=user),
        },
    )
