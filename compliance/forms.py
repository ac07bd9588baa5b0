"""Forms of the corrective-action pages: they read and tidy what a person typed; the services decide what is allowed
(`compliance.corrective_actions`)."""

from django import forms
from django.db.models import Q
from django.utils import timezone

from agencies.models import Suspension
from compliance.corrective_actions import CITABLE_BREACH_STATUSES, ItemDraft
from compliance.models import Breach
from futuresocial.forms import DATE_INPUT


class BreachChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, breach):
        where = f" · {breach.authority}" if breach.authority_id else ""
        placement = f" · placement {breach.placement_id}" if breach.placement_id else ""
        return (
            f"Breach {breach.pk}: {breach.get_rule_display()}{placement}{where} · £{breach.excess_amount:,} "
            f"({breach.get_status_display().lower()})"
        )


class CorrectiveActionForm(forms.Form):
    """The agreement's own text and the breach cases it cites; the remedial actions are `ItemFormSet`."""

    breaches = BreachChoiceField(
        queryset=Breach.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Breach cases it cites",
        help_text="Only this agency's cases still being worked on are listed.",
    )
    summary = forms.CharField(
        label="The agreement",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What went wrong and what the agency agrees to, in a few sentences; it heads the agreement.",
    )

    def __init__(self, *args, agency, cited=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["breaches"].queryset = (
            Breach.objects.filter(agency=agency)
            .filter(Q(status__in=CITABLE_BREACH_STATUSES) | Q(pk__in=[b.pk for b in cited]))
            .select_related("authority")
            .order_by("-detected_at", "-id")
        )


class ItemForm(forms.Form):
    description = forms.CharField(label="Remedial action", widget=forms.TextInput(attrs={"size": 60}))
    due_on = forms.DateField(label="Due by", widget=DATE_INPUT)

    def item(self) -> ItemDraft:
        return ItemDraft(description=self.cleaned_data["description"], due_on=self.cleaned_data["due_on"])


# Three blank rows below the draft's own; a row's "Remove" box drops it from the draft.
ItemFormSet = forms.formset_factory(ItemForm, extra=3, can_delete=True, can_delete_extra=False)


def items_from(formset) -> list[ItemDraft]:
    """The remedial actions in the rows filled in and not removed (blank rows are left out)."""
    return [
        form.item() for form in formset if form.cleaned_data.get("description") and not form.cleaned_data.get("DELETE")
    ]


class SignForm(forms.Form):
    signed_name = forms.CharField(
        label="Your full name",
        max_length=120,
        help_text="Typed as your signature. It is recorded with your user, the time and your network address.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "size": 40}),
    )
    confirm = forms.BooleanField(required=True)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = f"I have read this agreement and sign it on behalf of {agency.name}"
        self.fields["confirm"].error_messages["required"] = "Tick the box to confirm you sign on behalf of your agency."


class ItemDoneForm(forms.Form):
    done_on = forms.DateField(label="Done on", required=False, widget=DATE_INPUT)


# --- Suspending an agency (compliance/suspensions.py)


class SuspensionBreachChoiceField(forms.ModelMultipleChoiceField):
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
    breaches = SuspensionBreachChoiceField(
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
