from django.shortcuts import render

from accounts.decorators import role_required
from dashboards.models import SummaryWatermark

# Councils read their authority's figures and the region's totals; the coordinator and analysts everything
# (User.reads_figures).
dashboard_reader_required = role_required(
    lambda user: user.reads_figures,
    denial="The dashboards are for the workforce coordinator, analysts and councils.",
)


def summaries_state() -> SummaryWatermark | None:
    """When the summaries were last refreshed (None: never), for the line under each page's title."""
    return SummaryWatermark.objects.filter(pk=1).first()


@dashboard_reader_required
def index(request):
    """The list of dashboards a user may open; each section's view is in its own module."""
    return render(request, "dashboards/index.html")
