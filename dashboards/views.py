from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def index(request):
    """The list of dashboards a user may open; each section's view is in its own module."""
    return render(request, "dashboards/index.html")
