"""Forms of the agency and suspension pages: they read what the coordinator typed; the services decide what is allowed
(agencies.services), and their refusals are shown beside the field they name."""

from django import forms
from django.utils import timezone

from agencies.models import Agency, Suspension
from agencies.selectors import IN_EFFECT, SCHEDULED
from compliance.models import Breach
from futuresocial.forms import DATE_INPUT


class AgencyFilterForm(forms.Form):
    q = forms.CharField(label="Name or company number", required=False)
    standing = forms.ChoiceField(choices=[("", "Any standing"), *Agency.Standing.choices], required=False)
    tier = forms.ChoiceField(
        label="Supply",
        choices=[("", "Any"), ("msp", "Managed service providers"), ("second_tier", "Second-tier agencies")],
        required=False,
    )


class SuspensionFilterForm(forms.Form):
    STATE_CHOICES = [
        ("", "Any"),
        (IN_EFFECT, "In effect today"),
        (SCHEDULED, "Starting later"),
        ("over", "Ended or lifted"),
    ]

    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Suspension.Kind.choices], required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False, empty_label="Any agency")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_agency:
            del self.fields["agency"]  # its list holds its own suspensions only


class BreachChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, breach):
        parts = [f"No. {breach.pk}", breach.get_rule_display()]
        if breach.placement_id:
            parts.append(
                f"{breach.placement.worker.swe_number} at {breach.authority.name if breach.authority else '—'}"
            )
        parts.append(f"£{breach.excess_amount:,.2f}")
        parts.append(breach.get_status_display().lower())
        return " · ".join(parts)


class SuspendForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Suspension.Kind.choices,
        widget=forms.RadioSelect,
        initial=Suspension.Kind.TEMPORARY,
        help_text="Temporary: ends by itself on its end date. Ongoing: until you lift it.",
    )
    starts_on = forms.DateField(
        label="Starts on", widget=DATE_INPUT, help_text="Today or later. The agency is suspended from this day."
    )
    ends_on = forms.DateField(
        label="Ends on",
        widget=DATE_INPUT,
        required=False,
        help_text="Temporary suspensions only: the first day the agency is approved again.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The agency and every council's users are emailed this, and it shows on the agency's page.",
    )
    breaches = BreachChoiceField(
        label="Breach cases behind it",
        queryset=Breach.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The agency's own cases; open ones move to 'escalated'.",
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()
        self.fields["breaches"].queryset = (
            Breach.objects.filter(agency=agency)
            .exclude(status=Breach.Status.DISMISSED)
            .select_related("placement__worker", "authority")
            .order_by("-detected_at", "-id")
        )


class LiftForm(forms.Form):
    lift_reason = forms.CharField(
        label="Why it is lifted early",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. Every council's users and the agency are emailed this.",
    )
    lifted_on = forms.DateField(
        label="Lifted from",
        widget=DATE_INPUT,
        required=False,
        help_text="Today if empty; a later date schedules the lifting.",
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Every council's users and the agency are emailed this.",
    )
    confirm = forms.BooleanField(
        label="I understand that a removed agency stays removed: it can never register a placement again.",
    )
