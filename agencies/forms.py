"""Forms of the agency and suspension pages: they read what the coordinator typed; the services decide what is allowed
(agencies.services), and their refusals are shown beside the field they name."""

from django import forms

from agencies.models import Agency, Suspension
from agencies.selectors import ENDING_SOON, ENDING_SOON_DAYS, IN_EFFECT, SCHEDULED
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
        (ENDING_SOON, f"In effect, ending in the next {ENDING_SOON_DAYS} days"),
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


class AgencyDetailsForm(forms.ModelForm):
    """The details an agency keeps itself (agencies.services.AGENCY_OWN_DETAILS)."""

    class Meta:
        model = Agency
        fields = ["contact_name", "contact_email", "contact_phone", "address"]
        widgets = {
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            "contact_phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address": forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
        }
        help_texts = {
            "contact_name": "Who councils and the coordinator should contact about the MoU.",
            "contact_email": "Corrective actions, suspensions and answers to your questions are sent here, as well "
            "as to your users.",
        }
