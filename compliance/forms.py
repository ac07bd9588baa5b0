"""Forms of the corrective-action pages: they read and tidy what a person typed; the services decide what is allowed
(`compliance.corrective_actions`)."""

from django import forms
from django.db.models import Q

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
