"""What every form of the app shares: the date input, and how a service's refusal reaches the form."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from django_filters.widgets import DateRangeWidget

# The browser's own date picker; ISO dates both ways.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeInput(DateRangeWidget):
    """A from / to pair of date pickers, each box named for a screen reader ("Detected from", "Detected to"): the
    field's one visible label cannot point at two inputs."""

    def __init__(self, name: str, attrs=None):
        super().__init__(attrs={"type": "date", **(attrs or {})})
        self.name = name

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, end in zip(context["widget"]["subwidgets"], ("from", "to"), strict=True):
            subwidget["attrs"]["aria-label"] = f"{self.name} {end}"
        return context


def add_service_errors(form, error: ValidationError, rename: dict | None = None) -> None:
    """Show a service's ValidationError on the form: beside the field it names, else at the top of the form.

    `rename` maps the service's (or the model's) field names to the form's; a name the form lacks becomes a
    form-wide error rather than a crash.
    """
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = rename.get(name, name)
        if field == NON_FIELD_ERRORS or field not in form.fields:
            field = None
        for e in errors:
            form.add_error(field, e)
