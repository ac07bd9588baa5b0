"""Forms of the workforce returns: the figures of one return (the page's form, and each row of an uploaded file)."""

from django import forms

from futuresocial.forms import DATE_INPUT
from region.models import Authority
from workforce.models import NOT_NEGATIVE, PERCENTAGE, WorkforceReturn, not_in_the_future

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
NUMBER_ATTRS = {"inputmode": "decimal"}


def _label(name):
    label = WorkforceReturn._meta.get_field(name).verbose_name
    return label[:1].upper() + label[1:]


def _fte(name, help_text):
    return forms.DecimalField(
        label=_label(name),
        max_digits=9,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        help_text=help_text,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
    )


class WorkforceFiguresForm(forms.Form):
    """The figures of a return for a period end. The validators are the model's (workforce.models), so the page, the
    upload and the API refuse the same things."""

    period_end = forms.DateField(
        label="Period end",
        input_formats=DATE_FORMATS,
        validators=[not_in_the_future],
        widget=DATE_INPUT,
        help_text="The last day of the period the return describes, e.g. 30/09/2025.",
    )
    permanent_fte = _fte("permanent_fte", "Full-time equivalent of the social workers you employ, in post that day.")
    agency_fte = _fte("agency_fte", "Full-time equivalent of the agency social workers working for you that day.")
    vacancies_fte = _fte("vacancies_fte", "Full-time equivalent of your vacant social worker posts that day.")
    leavers_fte = _fte("leavers_fte", "Full-time equivalent of the employed social workers who left in the year.")
    absence_rate = forms.DecimalField(
        label=_label("absence_rate"),
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=PERCENTAGE,
        help_text="Working days lost to sickness as a percentage of working days, e.g. 3.5.",
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
    )


class WorkforceReturnForm(WorkforceFiguresForm):
    """A return submitted on the page. A council submits for its own authority only (the field is fixed to it); a
    return already submitted keeps its authority and period end, and only its figures change (a resubmission)."""

    authority = forms.ModelChoiceField(queryset=Authority.objects.all(), empty_label="Choose an authority")

    field_order = ["authority", "period_end"]

    def __init__(self, *args, user, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"] = {
                "authority": instance.authority,
                "period_end": instance.period_end,
                **{name: getattr(instance, name) for name in WorkforceReturn.FIGURES},
                **kwargs["initial"],
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        if user.is_council:
            self.fields["authority"].queryset = Authority.objects.filter(pk=user.authority_id)
            self.fields["authority"].initial = user.authority
            self.fields["authority"].disabled = True  # whatever is posted, it is the council's own authority
        if instance is not None:
            self.fields["authority"].disabled = True
            self.fields["period_end"].disabled = True


class WorkforceReturnUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel (.xlsx) file",
        help_text="One row per return, with the columns listed above in the first row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
