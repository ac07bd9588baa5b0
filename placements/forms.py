"""Forms of the agency portal: they read and tidy what a person typed; the services decide what is allowed."""

from datetime import timedelta

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

import django_filters

from agencies.models import Agency
from futuresocial.forms import DATE_INPUT
from futuresocial.scoping import visible_to
from mou.models import EngagementType, Role
from placements.models import Placement
from region.models import Authority

MONEY_ATTRS = {"inputmode": "decimal", "class": "money"}
SUNDAY = 6  # date.weekday()


def week_ending_for(day):
    """The Sunday that ends the week (Monday to Sunday) holding `day`."""
    return day + timedelta(days=(SUNDAY - day.weekday()) % 7)


# --- Placements


class PlacementFilter(django_filters.FilterSet):
    """The filters of the placements list. A council is never offered other authorities, nor an agency other
    agencies: the list is already scoped to them, so those filters would only ever be empty."""

    STATE_CHOICES = [("active", "Active (not ended)"), ("ended", "Ended")]

    q = django_filters.CharFilter(label="SWE number", method="filter_swe")
    role = django_filters.ModelChoiceFilter(queryset=Role.objects.all(), to_field_name="code", empty_label="Any role")
    authority = django_filters.ModelChoiceFilter(
        queryset=Authority.objects.all(), to_field_name="code", empty_label="Any authority"
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), empty_label="Any agency")
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label="Active or ended", empty_label="Active and ended"
    )

    class Meta:
        model = Placement
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
            return queryset.filter(end_date__lt=today)
        return queryset.active_on(today)


class SweNumberField(forms.CharField):
    """A registration number as people type it ("sw 123456 ") made into the form SWE uses ("SW123456")."""

    def to_python(self, value):
        return "".join(super().to_python(value).split()).upper()


class PlacementForm(forms.Form):
    """Register a placement: the fields of `placement_register`."""

    authority = forms.ModelChoiceField(
        queryset=Authority.objects.all(), label="Council or trust", empty_label="Choose the council or trust"
    )
    role = forms.ModelChoiceField(
        queryset=Role.objects.all(),
        to_field_name="code",  # the cap check (static/js/cap-check.js) asks the API by role code
        empty_label="Choose the role",
        help_text="The caps are set per role; roles above team manager are outside the MoU.",
    )
    engagement_type = forms.ChoiceField(choices=EngagementType.choices, initial=EngagementType.PAYE)
    worker_swe_number = SweNumberField(
        label="Worker's Social Work England registration number",
        max_length=12,
        help_text="For example SW123456. A worker we have not seen before is registered with the placement.",
        validators=[
            RegexValidator(r"^SW[0-9]{1,10}$", "A Social Work England registration number looks like SW123456.")
        ],
    )
    worker_qualified_on = forms.DateField(
        label="Worker's date of qualification",
        required=False,
        widget=DATE_INPUT,
        help_text="Optional, but the minimum-experience rule needs it: without it the placement is flagged.",
    )
    start_date = forms.DateField(widget=DATE_INPUT)
    end_date = forms.DateField(required=False, widget=DATE_INPUT, help_text="Leave empty if open-ended.")
    pay_rate = forms.DecimalField(
        label="Hourly pay rate (£)", max_digits=7, decimal_places=2, min_value=0, widget=forms.TextInput(MONEY_ATTRS)
    )
    on_costs = forms.DecimalField(
        label="Hourly on-costs (£)",
        max_digits=7,
        decimal_places=2,
        min_value=0,
        initial="0.00",
        widget=forms.TextInput(MONEY_ATTRS),
    )
    charge_rate = forms.DecimalField(
        label="Hourly charge rate (£)",
        max_digits=7,
        decimal_places=2,
        min_value=0,
        widget=forms.TextInput(MONEY_ATTRS),
        help_text="What the council pays the agency per hour.",
    )
    project_team = forms.BooleanField(label="Part of a project team", required=False)

    # What placement_register (and the model and worker it validates) calls the fields this form names otherwise.
    SERVICE_FIELDS = {"swe_number": "worker_swe_number", "worker": "worker_swe_number", "qualified_on": None}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the start date.")
        return cleaned


# --- Timesheets


class WeekPickerForm(forms.Form):
    week_ending = forms.DateField(
        label="Week ending (Sunday)",
        widget=forms.DateInput(attrs={"type": "date", "step": "7"}, format="%Y-%m-%d"),
    )


class TimesheetDayForm(forms.Form):
    """One day of the week, as typed: `timesheet_submit` checks the values (one place for what a valid hour or
    rate is) and its refusals come back onto the row. A day left without hours is not submitted."""

    hours = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.TextInput({"inputmode": "decimal", "class": "hours", "size": 5, "data-cap-hours": True}),
    )
    pay_rate = forms.CharField(required=False, max_length=20, widget=forms.TextInput(MONEY_ATTRS | {"size": 7}))
    charge_rate = forms.CharField(required=False, max_length=20, widget=forms.TextInput(MONEY_ATTRS | {"size": 7}))


TimesheetWeekFormSet = forms.formset_factory(TimesheetDayForm, extra=0, min_num=7, max_num=7, validate_max=True)


# --- Upload


class TimesheetUploadForm(forms.Form):
    file = forms.FileField(
        label="Timesheet file (CSV or Excel .xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


# --- Cap check


class CapCheckForm(forms.Form):
    """The cap-check page's question. Read-only, so it is a GET form: a result can be bookmarked and shared."""

    role = forms.ModelChoiceField(queryset=Role.objects.all(), to_field_name="code", empty_label="Choose the role")
    engagement_type = forms.ChoiceField(
        choices=[("", "Any / not known"), *EngagementType.choices],
        required=False,
        help_text="Some MoU versions set different caps for PAYE, umbrella and limited-company workers.",
    )
    date = forms.DateField(
        label="Date of the work", widget=DATE_INPUT, help_text="The cap in force on this day is the one that applies."
    )
    pay_rate = forms.DecimalField(
        label="Hourly pay rate (£)", max_digits=7, decimal_places=2, min_value=0, widget=forms.TextInput(MONEY_ATTRS)
    )
    charge_rate = forms.DecimalField(
        label="Hourly charge rate (£)",
        max_digits=7,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.TextInput(MONEY_ATTRS),
    )
