"""The form that files a DfE return: the note kept with it. Whether it may be filed is the service's to say
(dfe.services.dfe_return_file); its refusals are shown at the top of the form."""

from django import forms


class FileReturnForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the filed return and shown beside it, e.g. who checked the figures.",
    )
