"""Forms of the agency portal: they read and tidy what a person typed; the services decide what is allowed."""

from django import forms
from django.core.validators import RegexValidator

from agencies.models import Agency
from futuresocial.forms import DATE_INPUT
from mou.models import EngagementType, Role
from placements.models import PermanentLeaver
from placements.services import ReferenceInput, TeamMemberInput, project_team_approval_refusal
from region.models import Authority

MONEY_ATTRS = {"inputmode": "decimal", "class": "money"}


# --- Placements


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
    project_team = forms.BooleanField(
        label="Part of a project team",
        required=False,
        help_text="The worker must be named on a project team of your agency that the council approved by the start.",
    )

    # What placement_register (and the model and worker it validates) calls the fields this form names otherwise.
    SERVICE_FIELDS = {"swe_number": "worker_swe_number", "worker": "worker_swe_number", "qualified_on": None}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the start date.")
        return cleaned


# --- References and project teams (the national rules)


class ReferenceForm(forms.Form):
    """A practice-based reference. On the registration form a reference left empty is not recorded; partly filled
    in, it says what is missing."""

    referee = forms.CharField(label="Referee's name", max_length=120, required=False)
    referee_role = forms.CharField(
        label="Referee's role", max_length=120, required=False, help_text="For example: team manager"
    )
    organisation = forms.CharField(max_length=160, required=False, help_text="Where the referee worked with the worker")
    given_on = forms.DateField(label="Date of the reference", required=False, widget=DATE_INPUT)

    MISSING = {
        "referee": "Enter the referee's name",
        "referee_role": "Enter the referee's role",
        "organisation": "Enter the organisation",
        "given_on": "Enter the date of the reference",
    }

    def __init__(self, *args, required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required
        if required:
            for name, message in self.MISSING.items():
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = message

    def clean(self):
        cleaned = super().clean()
        filled = [name for name in self.MISSING if cleaned.get(name)]
        if filled or self.required:
            for name, message in self.MISSING.items():
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    def reference(self):
        """The reference typed in, or None for a row left empty."""
        data = self.cleaned_data
        if not data.get("referee"):
            return None
        return ReferenceInput(**{name: data[name] for name in self.MISSING})


RegistrationReferencesFormSet = forms.formset_factory(ReferenceForm, extra=2, max_num=2)


class ProjectTeamForm(forms.Form):
    authority = forms.ModelChoiceField(
        queryset=Authority.objects.all(), label="Council or trust", empty_label="Choose the council or trust"
    )
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), empty_label="Choose the agency")
    name = forms.CharField(label="Team name", max_length=160, help_text="For example: Assessment team, north")
    service = forms.CharField(label="Service the team delivers", max_length=200)
    cost_of_service = forms.DecimalField(
        label="Total cost of the service (£)",
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.TextInput(MONEY_ATTRS),
    )
    approved_by = forms.CharField(
        label="Approved by", max_length=160, help_text="Name and post of who approved the team at the council"
    )
    approved_on = forms.DateField(label="Approved on", widget=DATE_INPUT)

    def clean_approved_on(self):
        # The service's rule, said beside the field with the form's other errors rather than after them.
        approved_on = self.cleaned_data["approved_on"]
        refusal = project_team_approval_refusal(approved_on)
        if refusal:
            raise forms.ValidationError(refusal)
        return approved_on

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_council:
            # A council records its own teams: its authority is not a choice.
            del self.fields["authority"]


class TeamMemberForm(forms.Form):
    worker_swe_number = SweNumberField(
        label="Registration number",
        max_length=12,
        required=False,
        validators=[
            RegexValidator(r"^SW[0-9]{1,10}$", "A Social Work England registration number looks like SW123456.")
        ],
    )
    role = forms.ModelChoiceField(
        queryset=Role.objects.all(), to_field_name="code", required=False, empty_label="Choose the role"
    )
    cost = forms.DecimalField(
        label="Agreed cost of this worker (£)",
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.TextInput(MONEY_ATTRS),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("worker_swe_number") and "worker_swe_number" not in self.errors:
            if cleaned.get("role") or cleaned.get("cost") is not None:
                self.add_error("worker_swe_number", "Enter the worker's registration number, or clear the row")
        if cleaned.get("worker_swe_number"):
            for name, message in (("role", "Choose the worker's role"), ("cost", "Enter the cost of this worker")):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    def member(self):
        data = self.cleaned_data
        if not data.get("worker_swe_number"):
            return None
        return TeamMemberInput(worker_swe_number=data["worker_swe_number"], role=data["role"], cost=data["cost"])


class BaseTeamMembersFormSet(forms.BaseFormSet):
    def clean(self):
        """Each worker once: a repeat is an error on its row, naming the row it repeats."""
        seen = {}
        for number, form in enumerate(self.forms, start=1):
            swe = form.cleaned_data.get("worker_swe_number") if hasattr(form, "cleaned_data") else None
            if not swe:
                continue
            if swe in seen:
                form.add_error("worker_swe_number", f"{swe} is already on row {seen[swe]}")
            else:
                seen[swe] = number


TeamMembersFormSet = forms.formset_factory(TeamMemberForm, formset=BaseTeamMembersFormSet, extra=6, max_num=30)


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


class ConfirmDroppedDaysForm(forms.Form):
    """The confirmation of a file that drops days from weeks already submitted: the held file's token, the digest of
    the days shown, and the person's tick."""

    pending = forms.CharField(widget=forms.HiddenInput, max_length=64)
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    understood = forms.BooleanField(
        label="I understand these days will be dropped from their weeks",
        error_messages={"required": "Tick the box to confirm that these days will be dropped, or upload another file"},
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


class VerifyQualificationForm(forms.Form):
    qualified_on = forms.DateField(
        label="Verified date of qualification",
        widget=DATE_INPUT,
        help_text="As checked on the Social Work England register: it judges every placement of the worker.",
    )


class PermanentLeaverForm(forms.Form):
    """A worker who left an employed post at a council: the cooling-off rule's fact. The coordinator chooses the
    council; a council records its own."""

    authority = forms.ModelChoiceField(
        label="Council or trust", queryset=Authority.objects.order_by("name"), empty_label="Choose one"
    )
    worker_swe_number = SweNumberField(
        label="Social Work England registration number",
        max_length=12,
        help_text="For example: SW123456",
        validators=[
            RegexValidator(r"^SW[0-9]{1,10}$", "A Social Work England registration number looks like SW123456.")
        ],
    )
    left_on = forms.DateField(label="Last day in the post", widget=DATE_INPUT)
    reason = forms.ChoiceField(
        label="Why they left",
        choices=[("", "Choose one"), *PermanentLeaver.Reason.choices],
        help_text="Redundancy and the end of probation are exempt from the cooling-off period.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_regional:
            del self.fields["authority"]


class CapExceptionForm(forms.Form):
    """A council's signed approval to pay above the cap on one placement, for a period."""

    signed_by_dcs = forms.CharField(label="Signed by (director of children's services)", max_length=120)
    signed_by_chief_executive = forms.CharField(label="Signed by (chief executive)", max_length=120)
    reason = forms.CharField(
        label="Why the council approves it", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    valid_from = forms.DateField(
        label="Covers work from",
        required=False,
        widget=DATE_INPUT,
        help_text="Leave empty for today (or the placement's start, if later). A date already worked takes the "
        "covered days out of any case the audit opened for them.",
    )
    valid_until = forms.DateField(label="Covers work until", widget=DATE_INPUT)
