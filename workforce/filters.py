"""Filters of the workforce returns, for the API and the returns page: one FilterSet."""

import django_filters

from futuresocial.api.filters import FilterSet
from futuresocial.forms import DateRangeInput
from region.models import Authority
from workforce.models import WorkforceReturn


class WorkforceReturnFilterSet(FilterSet):
    """Workforce returns' filters: the API's `workforce-returns/` parameters and the returns page's, the same two.

    Given the page's `user`, a filter that would say nothing to them is not offered: a council sees its own
    authority's returns only, so it gets no authority. The API passes no user and keeps every parameter."""

    authority = django_filters.ModelChoiceFilter(
        field_name="authority", to_field_name="code", queryset=Authority.objects.all(), empty_label="Any authority"
    )
    period_end = django_filters.DateFromToRangeFilter(
        label="Period end between",
        help_text="period_end_after and period_end_before (ISO dates, inclusive)",
        widget=DateRangeInput("Period end"),
    )

    class Meta:
        model = WorkforceReturn
        fields = ["authority", "period_end"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not user.is_regional:
            del self.filters["authority"]
