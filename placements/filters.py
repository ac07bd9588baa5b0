"""Filters of placements and their records, for the API and the pages: one FilterSet per resource.

A resource's FilterSet is the API's (its parameters are the OpenAPI schema's; a bad value is a 400). A page that
shows the filters differently, or has some of its own, uses a subclass declared here, next to it: it changes how a
filter is offered (choices, labels, widgets), never what a filter means.
"""

from django.utils import timezone

import django_filters

from agencies.models import Agency
from futuresocial.api.filters import FilterSet, IdFilter
from futuresocial.scoping import visible_to
from mou.models import Role
from placements.models import CapException, PermanentLeaver, Placement, ProjectTeam, Timesheet
from region.models import Authority

# --- placements


class PlacementFilterSet(FilterSet):
    """Placements' filters (the API's `placements/` parameters). "Active" is `Placement.objects.active_on`."""

    authority = django_filters.ModelChoiceFilter(
        field_name="authority", to_field_name="code", queryset=Authority.objects.all(), empty_label="Any authority"
    )
    role = django_filters.ModelChoiceFilter(
        field_name="role", to_field_name="code", queryset=Role.objects.all(), empty_label="Any role"
    )
    agency = IdFilter()
    start_date = django_filters.DateFromToRangeFilter()
    end_date = django_filters.DateFromToRangeFilter()
    active_on = django_filters.DateFilter(method="filter_active_on", label="Active on this date")
    worker_swe_number = django_filters.CharFilter(field_name="worker__swe_number", lookup_expr="iexact")

    class Meta:
        model = Placement
        fields = ["engagement_type", "project_team"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)


class PlacementListFilterSet(PlacementFilterSet):
    """The placements page's filters: role and authority as the API has them, the agency as a list to choose from,
    part of a SWE number, and active (today) or ended. A council is never offered other authorities, nor an agency
    other agencies: the list is already scoped to them, so those filters would only ever be empty."""

    STATE_CHOICES = [
        ("active", "Active (started, not ended)"),
        ("ended", "Ended"),
        ("missing_week", "Worked last week, its timesheet not in"),
    ]

    q = django_filters.CharFilter(label="SWE number", method="filter_swe")
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), empty_label="Any agency")
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label="Active or ended", empty_label="Active and ended"
    )
    # The API's other parameters are not on the page.
    start_date = end_date = active_on = worker_swe_number = None

    class Meta(PlacementFilterSet.Meta):
        fields = ["q", "role", "authority", "agency", "state"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_council:
            del self.filters["authority"]
        if user.is_agency:
            del self.filters["agency"]
        else:
            self.filters["agency"].queryset = visible_to(Agency.objects.all(), user)

    def filter_swe(self, queryset, name, value):
        return queryset.filter(worker__swe_number__icontains=value.strip())

    def filter_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == "ended":
            return queryset.ended_before(today)
        if value == "missing_week":
            return queryset.missing_last_week(today)
        return self.filter_active_on(queryset, name, today)


# --- permanent leavers, cap exceptions, timesheets (the API's only)


class PermanentLeaverFilterSet(FilterSet):
    authority = django_filters.ModelChoiceFilter(
        field_name="authority", to_field_name="code", queryset=Authority.objects.all()
    )
    left_on = django_filters.DateFromToRangeFilter()
    worker_swe_number = django_filters.CharFilter(field_name="worker__swe_number", lookup_expr="iexact")

    class Meta:
        model = PermanentLeaver
        fields = ["authority", "reason"]


class ProjectTeamFilterSet(FilterSet):
    authority = django_filters.ModelChoiceFilter(
        field_name="authority", to_field_name="code", queryset=Authority.objects.all()
    )
    agency = IdFilter()
    approved_on = django_filters.DateFromToRangeFilter()
    worker_swe_number = django_filters.CharFilter(
        field_name="members__worker__swe_number", lookup_expr="iexact", distinct=True, label="Names this worker"
    )

    class Meta:
        model = ProjectTeam
        fields = ["authority"]


class CapExceptionFilterSet(FilterSet):
    authority = django_filters.ModelChoiceFilter(
        field_name="placement__authority", to_field_name="code", queryset=Authority.objects.all()
    )
    placement = IdFilter()
    agency = IdFilter(field_name="placement__agency")
    live_on = django_filters.DateFilter(method="filter_live_on", label="Covers this date")
    valid_from = django_filters.DateFromToRangeFilter()
    valid_until = django_filters.DateFromToRangeFilter()

    class Meta:
        model = CapException
        fields = []

    def filter_live_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_until__gte=value)


class TimesheetFilterSet(FilterSet):
    placement = IdFilter()
    agency = IdFilter(field_name="placement__agency")
    authority = django_filters.ModelChoiceFilter(
        field_name="placement__authority", to_field_name="code", queryset=Authority.objects.all()
    )
    week_ending = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Timesheet
        fields = []
