"""Filters of breach cases, corrective actions and audit runs, for the API and the pages: one FilterSet per resource.

A resource's FilterSet is the API's (its parameters are the OpenAPI schema's; a bad value is a 400). A page that
shows the filters differently, or has some of its own, uses a subclass declared here, next to it: it changes how a
filter is offered (choices, labels, widgets), and adds what only a page has (sorting, "not yet resolved",
"overdue").
"""

from datetime import timedelta

from django import forms
from django.db.models import Exists, OuterRef, Q

import django_filters

from agencies.models import Agency
from compliance.corrective_actions import LIVE_STATUSES
from compliance.counts import breach_counts_by_status, breach_status_counts
from compliance.models import AuditRun, Breach, BreachCount, CorrectiveAction, CorrectiveActionItem
from futuresocial.api.filters import FilterSet, IdFilter
from futuresocial.forms import DateRangeInput
from futuresocial.scoping import visible_to
from mou.models import Role
from region.models import Authority

# --- breach cases

UNRESOLVED = "unresolved"
SORTS = [
    ("-detected", "Newest first"),
    ("detected", "Oldest first"),
    ("-excess", "Largest excess first"),
    ("excess", "Smallest excess first"),
]
ORDERINGS = {
    "-detected": ("-detected_at", "-id"),
    "detected": ("detected_at", "id"),
    "-excess": ("-excess_amount", "-detected_at", "-id"),
    "excess": ("excess_amount", "detected_at", "id"),
}


class BreachFilterSet(FilterSet):
    """Breach cases' filters (the API's `breaches/` parameters); the queue page's are `BreachQueueFilterSet`."""

    agency = IdFilter()
    authority = django_filters.ModelChoiceFilter(
        field_name="authority",
        to_field_name="code",
        queryset=Authority.objects.all(),
        empty_label="Any council or trust",
    )
    placement = IdFilter()
    role = django_filters.ModelChoiceFilter(
        field_name="placement__role", to_field_name="code", queryset=Role.objects.all(), label="Role code"
    )
    mou_version = IdFilter()
    assignee = django_filters.CharFilter(field_name="assignee__username")
    detected = django_filters.DateFromToRangeFilter(field_name="detected_at", label="Detected between (dates)")
    rule = django_filters.ChoiceFilter(choices=Breach.Rule.choices, empty_label="Any rule")
    severity = django_filters.ChoiceFilter(choices=Breach.Severity.choices, empty_label="Any severity")

    class Meta:
        model = Breach
        fields = ["rule", "status", "severity"]


class BreachQueueFilterSet(BreachFilterSet):
    """The queue page's filters: rule, severity and authority as the API has them; a status may also be "not yet
    resolved"; the agency is chosen from a list and the assignee may be "me" or "nobody"; and the queue's sort.

    Councils are not offered other authorities, nor agencies other agencies or the coordinator's assignments: their
    queue is already scoped, so those filters would say nothing."""

    status = django_filters.ChoiceFilter(
        choices=[(UNRESOLVED, "Not yet resolved or dismissed"), *Breach.Status.choices],
        method="filter_status",
        empty_label="Any status",
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.order_by("name"), empty_label="Any agency")
    assignee = django_filters.ChoiceFilter(choices=[], method="filter_assignee", empty_label="Anyone or no one")
    detected = django_filters.DateFromToRangeFilter(
        field_name="detected_at", label="Detected from / to", widget=DateRangeInput("Detected")
    )
    sort = django_filters.ChoiceFilter(choices=SORTS, method="sort_by", empty_label=None, label="Sort")
    # The API's other parameters are not on the page.
    placement = role = mou_version = None

    class Meta(BreachFilterSet.Meta):
        fields = ["status", "rule", "severity", "agency", "authority", "assignee", "detected", "sort"]

    def __init__(self, *args, user, coordinators, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_council:
            del self.filters["authority"]
        if user.is_agency:
            del self.filters["agency"], self.filters["assignee"]
        else:
            mine = [("me", "Assigned to me")] if user.is_coordinator else []
            people = [(u.username, str(u)) for u in coordinators]
            self.filters["assignee"].extra["choices"] = [*mine, ("none", "Unassigned"), *people]

    def filter_status(self, queryset, name, value):
        if value == UNRESOLVED:
            return queryset.unresolved()
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*ORDERINGS[value])

    # The filters the maintained counts (BreachCount) are grouped by: with no other, the counts by status are read
    # from those groups; with another (rule, severity, dates), counted from the cases that match.
    COUNTED = ("agency", "authority", "assignee")

    def status_counts(self) -> dict[str, int]:
        """How many of the user's cases matching every filter but the status are in each status (the tabs, and the
        page count): from the maintained counts when the filters are among theirs, else counted from the cases.
        A refused filter counts every case, as the list then shows them."""
        chosen = {}
        if self.is_bound and self.is_valid():
            chosen = {k: v for k, v in self.form.cleaned_data.items() if k not in ("status", "sort") and v}
        if set(chosen) - set(self.COUNTED):
            return breach_status_counts(self.queryset_without("status"))
        # The filters apply to the counts as to the cases: the same field names (agency, authority, assignee).
        counts = visible_to(BreachCount.objects.all(), self.user)
        for name, value in chosen.items():
            counts = self.filters[name].filter(counts, value)
        return breach_counts_by_status(counts)

    def queryset_without(self, *names):
        """The cases matching every filter but `names` (the counts by status leave the status filter out)."""
        queryset = self.queryset.all()
        if self.is_bound and self.is_valid():
            for name, value in self.form.cleaned_data.items():
                if name not in names and name != "sort":
                    queryset = self.filters[name].filter(queryset, value)
        return queryset


# --- corrective actions


DUE_SOON_DAYS = 14


def due_soon_q(today) -> Q:
    """Issued or signed, with a remedial action not done and due in the next two weeks: it lapses if missed."""
    soon = CorrectiveActionItem.objects.filter(
        corrective_action=OuterRef("pk"),
        done_on__isnull=True,
        due_on__gte=today,
        due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
    )
    return Q(status__in=LIVE_STATUSES) & Q(Exists(soon))


def overdue_q(today) -> Q:
    """Issued or signed, with a remedial action past its due date and not done: the nightly pass lapses it."""
    late = CorrectiveActionItem.objects.filter(corrective_action=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
    return Q(status__in=LIVE_STATUSES) & Q(Exists(late))


class CorrectiveActionFilterSet(FilterSet):
    """Corrective actions' filters (the API's `corrective-actions/` parameters); the list page's are
    `CorrectiveActionListFilterSet`."""

    agency = IdFilter()
    authority = django_filters.ModelChoiceFilter(
        field_name="breaches__authority",
        to_field_name="code",
        queryset=Authority.objects.all(),
        distinct=True,
        label="Citing breach cases at this authority (code)",
    )
    breach = IdFilter(field_name="breaches", distinct=True, label="Citing this breach case")
    created = django_filters.DateFromToRangeFilter(field_name="created_at", label="Drafted between (dates)")
    issued = django_filters.DateFromToRangeFilter(field_name="issued_at", label="Issued between (dates)")
    status = django_filters.ChoiceFilter(choices=CorrectiveAction.Status.choices, empty_label="Any status")

    class Meta:
        model = CorrectiveAction
        fields = ["status"]


class CorrectiveActionListFilterSet(CorrectiveActionFilterSet):
    """The list page's filters: the status as the API has it (drafts offered to the region only), the agency chosen
    from a list, and overdue. An agency is not offered other agencies (the list is its own)."""

    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), empty_label="Any agency")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label="Overdue",
        widget=forms.Select(choices=[("", "Overdue or not"), ("true", "Overdue only")]),
    )
    due_soon = django_filters.BooleanFilter(
        method="filter_due_soon",
        label="Due soon",
        widget=forms.Select(choices=[("", "Due soon or not"), ("true", f"An action due in {DUE_SOON_DAYS} days")]),
    )
    # The API's other parameters are not on the page.
    authority = breach = created = issued = None

    class Meta(CorrectiveActionFilterSet.Meta):
        fields = ["agency", "status", "overdue", "due_soon"]

    def __init__(self, *args, user, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if user.is_agency:
            del self.filters["agency"]
        else:
            self.filters["agency"].queryset = visible_to(Agency.objects.all(), user)
        if not user.is_regional:
            self.filters["status"].extra["choices"] = [
                c for c in CorrectiveAction.Status.choices if c[0] != CorrectiveAction.Status.DRAFT
            ]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(overdue_q(self.today))

    def filter_due_soon(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(due_soon_q(self.today))


# --- audit runs (the API's only)


class AuditRunFilterSet(FilterSet):
    created = django_filters.DateFromToRangeFilter(field_name="created_at", label="Queued between (dates)")

    class Meta:
        model = AuditRun
        fields = ["status", "trigger"]
