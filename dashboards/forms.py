"""The dashboards' filters (GET forms: a page's address is its selection, so it can be bookmarked and shared).

Who may choose which authority is decided here: a council its own authority or the region's totals, the coordinator
and analysts any authority or the region. Anything else is refused as an invalid choice and the page falls back to
its default, so a council can never read another authority's figures by editing the address.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms

from dashboards.selectors import Selection
from futuresocial.cost import CostAssumptions
from futuresocial.cost_benefit import LAC_UNIT_COSTS, MOU_SAVINGS, YEARS, CostBenefitInputs, Costs, Recruitment
from futuresocial.disclosure import WITHHELD, WITHHELD_LABEL, WITHHELD_REASON
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


# --- The cost-benefit model (futuresocial/cost_benefit.py) -----------------------------------------------------------


LARGEST = 10**9


class SeriesField(forms.CharField):
    """A yearly series: six numbers separated by commas, 2017/18 first (as `stats/cost-benefit/` takes them)."""

    # Large enough for any region's pounds and FTEs; bounded so the model's sums stay exact in Decimal's 28 digits.
    def __init__(self, *, minimum=-LARGEST, maximum=LARGEST, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        kwargs.setdefault("help_text", "Six values separated by commas, one a year, 2017/18 first")
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != len(YEARS):
            raise forms.ValidationError(
                f"Give {len(YEARS)} values separated by commas, one a year from 2017/18 (got {len(parts)})."
            )
        try:
            numbers = tuple(Decimal(part) for part in parts)
        except InvalidOperation:
            raise forms.ValidationError("Each value must be a number, e.g. 0,0,0,-64,-64,-64.") from None
        if not all(number.is_finite() for number in numbers):
            raise forms.ValidationError("Each value must be a number, e.g. 0,0,0,-64,-64,-64.")
        if self.minimum is not None and min(numbers) < self.minimum:
            raise forms.ValidationError(f"Each value must be at least {self.minimum}.")
        if self.maximum is not None and max(numbers) > self.maximum:
            raise forms.ValidationError(f"Each value must be at most {self.maximum}.")
        return numbers

    def prepare_value(self, value):
        if isinstance(value, tuple):
            return ",".join(format(number.normalize(), "f") for number in value)
        return value


class NamedOrNumberField(forms.CharField):
    """One of the evaluation's named figures (e.g. `gmca`) or a number of one's own; cleaned to the number."""

    def __init__(self, *, named: dict, **kwargs):
        self.named = named
        kwargs.setdefault("help_text", " or ".join(named) + ", or a number")
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        if value in self.named:
            return self.named[value]
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not 0 <= number <= LARGEST:
            raise forms.ValidationError(f"Choose {', '.join(self.named)}, or give a number from 0 to {LARGEST:,}.")
        return number

    def prepare_value(self, value):
        name = next((name for name, number in self.named.items() if number == value), None)
        return name or (format(value.normalize(), "f") if isinstance(value, Decimal) else value)


def _number(label, *, minimum=0, maximum=None, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=maximum,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
    )


def _percent(label, help_text=""):
    return _number(label, maximum=100, help_text=help_text)


class CostBenefitForm(forms.Form):
    """The cost-benefit model's inputs, named as `stats/cost-benefit/`'s query parameters (the page and the API read
    them through this one form). A field left blank takes the region's figure when asked for (`figures=region`) and
    it is known, else the evaluation's; `source(name)` says which. A refused value is reported and not used."""

    figures = forms.ChoiceField(
        required=False,
        label="Start from",
        choices=[("evaluation", "the evaluation's figures"), ("region", "this region's figures")],
    )
    costs = forms.ChoiceField(required=False, label="Costs counted", choices=Costs.CHOICES)
    costs_innovation_fund = SeriesField(label="Programme costs met by the Innovation Fund (£)", minimum=0)
    costs_local_authorities = SeriesField(label="Programme costs met by the local authorities (£)", minimum=0)
    costs_other = SeriesField(label="Programme costs met by others (£)", minimum=0)
    social_workers = _number("Employed social workers in 2017/18 (FTE)")
    agency_workers = _number("Agency workers in 2017/18 (FTE)")
    social_workers_growth = _number(
        "Growth in employed social workers without the programme (% a year)", minimum=-100, maximum=100
    )
    agency_workers_growth = _number(
        "Growth in agency workers without the programme (% a year)", minimum=-100, maximum=100
    )
    agency_fte_change = SeriesField(
        label="Change in agency workers with the programme (FTE)",
        help_text="Six values, 2017/18 first: negative for fewer agency workers, brought in house",
    )
    hourly_rate = CostForm.base_fields["hourly_rate"]
    hours_per_week = CostForm.base_fields["hours_per_week"]
    weeks_per_year = CostForm.base_fields["weeks_per_year"]
    salary = CostForm.base_fields["salary"]
    pension_and_ni_percent = CostForm.base_fields["pension_and_ni_percent"]
    overheads_percent = CostForm.base_fields["overheads_percent"]
    mou_saving = NamedOrNumberField(label="The MoU's saving on agency spend (%)", named=MOU_SAVINGS)
    mou_attribution = _percent("Share of the MoU's saving attributed to the programme (%)")
    turnover_rate_without = SeriesField(label="Turnover without the programme (%)", minimum=0, maximum=100)
    turnover_rate_with = SeriesField(label="Turnover with the programme (%)", minimum=0, maximum=100)
    recruitment = forms.ChoiceField(required=False, label="Recruitment", choices=Recruitment.CHOICES)
    agency_fee = _number("Recruitment agency's fee (% of salary)", maximum=1000)
    advert_cost = _number("Cost of a job advert (£)")
    administrator_hours = _number("Administrator's hours per recruit")
    administrator_hourly_cost = _number("Administrator's cost per hour (£)")
    social_worker_hours = _number("Social worker's hours per recruit")
    induction_cost = _number("Training and induction per recruit (£)")
    absence_rate_without = SeriesField(label="Absence without the programme (%)", minimum=0, maximum=100)
    absence_rate_with = SeriesField(label="Absence with the programme (%)", minimum=0, maximum=100)
    looked_after_children = _number("Looked after children in 2017/18")
    lac_change = SeriesField(
        label="Change in looked after children since 2017/18",
        help_text="Six values, 2017/18 first: negative for fewer children",
    )
    lac_attribution = _percent("Share of that change attributed to the programme (%)")
    lac_unit_cost = NamedOrNumberField(
        label="Annual cost of a looked after child (£)", named={k: v for k, v in LAC_UNIT_COSTS.items()}
    )
    discount_rate = _percent("Discount rate (%)", help_text="HM Treasury Green Book: 3.5 %")

    STAFF_FIELDS = CostForm.MODEL_FIELDS
    SOURCE_EVALUATION = "the evaluation (2020)"
    SOURCE_TYPED = "typed here"
    SOURCE_WITHHELD = (
        f"the evaluation (2020): the region's figure is {WITHHELD_LABEL}, code {WITHHELD}: {WITHHELD_REASON}"
    )

    def __init__(self, data=None, *, region_figures=None, withheld=()):
        """`region_figures`: {field name: (value, where it came from)}, used when `figures=region`; `withheld`: the
        names of the region's figures withheld from the reader (futuresocial.disclosure): the evaluation's figure
        is used, and its source says why."""
        super().__init__(data)
        self.region_figures = region_figures or {}
        self.withheld = set(withheld)
        self.defaults = CostBenefitInputs()
        for name in self.fields:
            self.fields[name].initial = self._default(name)

    def _more_than_nothing(self, name):
        # An FTE's hours divide its cost into an hourly one (the social worker's time spent recruiting).
        value = self.cleaned_data.get(name)
        if value is not None and value <= 0:
            raise forms.ValidationError("Ensure this value is greater than 0.")
        return value

    def clean_hours_per_week(self):
        return self._more_than_nothing("hours_per_week")

    def clean_weeks_per_year(self):
        return self._more_than_nothing("weeks_per_year")

    def _default(self, name):
        if name == "figures":
            return "evaluation"
        if name in self.STAFF_FIELDS:
            return getattr(self.defaults.staff, name)
        return getattr(self.defaults, name)

    @property
    def uses_region_figures(self) -> bool:
        return self.is_bound and self.data.get("figures") == "region"

    def _typed(self, name):
        if not self.is_bound:
            return None
        self.is_valid()  # cleans once; cleaned_data then holds the fields that passed
        value = self.cleaned_data.get(name)
        return None if name in self.errors or value in (None, "") else value

    def _fallback(self, name):
        if self.uses_region_figures and name in self.region_figures:
            return self.region_figures[name]
        if self.uses_region_figures and name in self.withheld:
            return self._default(name), self.SOURCE_WITHHELD
        return self._default(name), self.SOURCE_EVALUATION

    def value_and_source(self, name):
        """The value the model uses and where it came from. The page shows each input filled in: sent back
        unchanged it keeps its source, not "typed here"."""
        typed = self._typed(name)
        fallback = self._fallback(name)
        if typed is not None and typed != fallback[0]:
            return typed, self.SOURCE_TYPED
        return fallback

    GROUPS = (
        ("Costs of FutureSocial", ("costs", "costs_innovation_fund", "costs_local_authorities", "costs_other")),
        (
            "The workforce",
            ("social_workers", "agency_workers", "social_workers_growth", "agency_workers_growth", "agency_fte_change"),
        ),
        ("An agency worker against an employed one", CostForm.MODEL_FIELDS),
        ("The MoU's lower rates", ("mou_saving", "mou_attribution")),
        (
            "Turnover and recruitment",
            (
                "turnover_rate_without",
                "turnover_rate_with",
                "recruitment",
                "agency_fee",
                "advert_cost",
                "administrator_hours",
                "administrator_hourly_cost",
                "social_worker_hours",
                "induction_cost",
            ),
        ),
        ("Absence", ("absence_rate_without", "absence_rate_with")),
        ("Looked after children", ("looked_after_children", "lac_change", "lac_attribution", "lac_unit_cost")),
        ("Present values", ("discount_rate",)),
    )

    def groups(self):
        """[(legend, [(bound field, the value shown in it, its source)])] for the page: each input shows the value in
        use (a refused one what was typed, beside its error)."""
        shown = []
        for legend, names in self.GROUPS:
            rows = []
            for name in names:
                bound = self[name]
                value, source = self.value_and_source(name)
                if name in self.errors:
                    text = bound.data
                elif hasattr(bound.field, "prepare_value") and not isinstance(value, str):
                    text = bound.field.prepare_value(value)
                    text = format(text.normalize(), "f") if isinstance(text, Decimal) else text
                else:
                    text = value
                rows.append((bound, text, source))
            shown.append((legend, rows))
        return shown

    def source(self, name) -> str:
        return self.value_and_source(name)[1]

    def inputs(self) -> CostBenefitInputs:
        values = {name: self.value_and_source(name)[0] for name in self.fields if name != "figures"}
        staff = CostAssumptions(**{name: values.pop(name) for name in self.STAFF_FIELDS})
        return CostBenefitInputs(staff=staff, **values)
