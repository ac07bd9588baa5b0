"""The dashboards' filters (GET forms: a page's address is its selection, so it can be bookmarked and shared).

Who may choose which authority is decided here: a council its own authority or the region's totals, the coordinator
and analysts any authority or the region. Anything else is refused as an invalid choice and the page falls back to
its default, so a council can never read another authority's figures by editing the address.
"""

from datetime import date

from django import forms

from dashboards.selectors import Selection
from futuresocial.cost import CostAssumptions
from mou.models import EngagementType, Role
from region.models import Authority

REGION = ""


class MonthField(forms.CharField):
    """A month as YYYY-MM (what `<input type="month">` sends), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "size": 8})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(f"Enter a month as YYYY-MM (got “{value}”).") from None


class AuthorityFilterForm(forms.Form):
    """Which authority's figures, or the region's."""

    authority = forms.ChoiceField(required=False, label="Authority")

    def __init__(self, data=None, *, user):
        super().__init__(data)
        self.user = user
        if user.is_council:
            self.authorities = [user.authority]
        else:
            self.authorities = list(Authority.objects.order_by("name"))
        self.fields["authority"].choices = [(REGION, "The region (all 14)")] + [
            (a.code, a.name) for a in self.authorities
        ]
        if user.is_council:
            self.fields["authority"].initial = user.authority.code

    def full_clean(self):
        # A field left out of the address takes its default, and shows it (a council's own authority, not the
        # region a missing choice would otherwise show).
        data = self.data.copy()
        for name, field in self.fields.items():
            if name not in data and field.initial is not None:
                data[name] = field.initial
        self.data = data
        super().full_clean()

    def value(self, name):
        """The field's cleaned value; its default when the field was left blank or refused."""
        if self.is_bound:
            self.is_valid()  # cleans once; cleaned_data then holds the fields that passed
            value = self.cleaned_data.get(name)
            if name not in self.errors and (value not in (None, "") or name == "authority"):
                return value  # (a blank authority is the region's)
        initial = self.fields[name].initial
        return REGION if name == "authority" and initial is None else initial

    def chosen_authority(self):
        """The Authority chosen, or None for the region."""
        code = self.value("authority")
        return next((a for a in self.authorities if a.code == code), None)


class DashboardFilterForm(AuthorityFilterForm):
    """Authority (or the region) and period; the pages add their own fields."""

    start = MonthField(required=False, label="From (month)")
    end = MonthField(required=False, label="To (month)")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", "The period ends before it starts.")
        return cleaned

    def selection(self, **extra) -> Selection:
        return Selection(authority=self.chosen_authority(), start=self.value("start"), end=self.value("end"), **extra)


class RatesFilterForm(DashboardFilterForm):
    role = forms.ChoiceField(required=False, label="Role")
    engagement_type = forms.ChoiceField(
        required=False, label="Engagement type", choices=[("", "All types"), *EngagementType.choices]
    )

    def __init__(self, data=None, *, user):
        super().__init__(data, user=user)
        self.roles = list(Role.objects.order_by("rank", "code"))
        self.fields["role"].choices = [(r.code, f"{r.code} – {r.name}") for r in self.roles]
        self.fields["role"].initial = next((r.code for r in self.roles if r.capped), None)
        self.order_fields(["role", "authority", "engagement_type", "start", "end"])

    def chosen_role(self):
        code = self.value("role")
        return next((r for r in self.roles if r.code == code), None)

    def selection(self, **extra) -> Selection:
        return super().selection(role=self.chosen_role(), engagement_type=self.value("engagement_type") or None)


def _money(label, default, **kwargs):
    return forms.DecimalField(
        label=label, required=False, min_value=0, decimal_places=2, max_digits=9, initial=default, **kwargs
    )


class CostForm(DashboardFilterForm):
    """The selection of the actual spend, and the model's assumptions (blank: the evaluation's figure)."""

    defaults = CostAssumptions()
    hourly_rate = _money("Average agency hourly rate (£)", defaults.hourly_rate)
    hours_per_week = _money("Hours per week", defaults.hours_per_week, max_value=168)
    weeks_per_year = _money("Weeks per year", defaults.weeks_per_year, max_value=52)
    salary = _money("Salary per FTE (£)", defaults.salary)
    pension_and_ni_percent = _money("Pension and NI (%)", defaults.pension_and_ni_percent, max_value=1000)
    overheads_percent = _money("Overheads: office, IT, training (%)", defaults.overheads_percent, max_value=1000)
    pre_cap_rate = _money("Hourly charge rate before the caps (£)", None)

    MODEL_FIELDS = (
        "hourly_rate",
        "hours_per_week",
        "weeks_per_year",
        "salary",
        "pension_and_ni_percent",
        "overheads_percent",
    )

    def assumptions(self) -> CostAssumptions:
        return CostAssumptions(**{name: self.value(name) for name in self.MODEL_FIELDS})
