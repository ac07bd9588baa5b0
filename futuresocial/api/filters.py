from django import forms
from django.db import models

import django_filters
from django_filters import rest_framework as drf_filters
from rest_framework.filters import OrderingFilter


class IdFilter(django_filters.NumberFilter):
    """A related object by its id: a whole number (`?agency=0.5` is a 400, not a filter on agency 0)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    """`true` or `false` (also `1`/`0`, `True`/`False`); anything else is an error, not "no filter"."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Enter true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class FilterSet(drf_filters.FilterSet):
    """The API's filter sets: a boolean that is not `true`/`false` is a 400 (django-filter would ignore it)."""

    FILTER_DEFAULTS = {**drf_filters.FilterSet.FILTER_DEFAULTS, models.BooleanField: {"filter_class": BooleanFilter}}


# DRF's own words for a date in another format, so a filter and a body field refuse `11/12/2026` alike.
ISO_DATE_FORMAT = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


def iso_dates_only(form) -> None:
    """Every date field of an API filter form (and each half of a date range) takes YYYY-MM-DD only (SPEC §7).
    Django's form fields would also read the locale's formats, so `11/12/2026` meant 11 December in a filter while
    the body's DRF fields refused it. The portal's pages keep the locale's formats."""
    for field in form.fields.values():
        for date_field in (field, *getattr(field, "fields", ())):
            if isinstance(date_field, forms.DateField):
                date_field.input_formats = ["%Y-%m-%d"]
                date_field.error_messages["invalid"] = ISO_DATE_FORMAT


class FilterBackend(drf_filters.DjangoFilterBackend):
    """django-filter's backend, building a viewset's `filterset_fields` on the API's FilterSet; dates ISO only."""

    filterset_base = FilterSet

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            iso_dates_only(filterset.form)
        return filterset


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` as DRF has it, with the primary key as the last tie-breaker: ordering by a field that rows share
    (a start date, a status) would otherwise page unpredictably, repeating or skipping rows between pages."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or any(field.lstrip("-") in ("pk", "id") for field in ordering):
            return ordering
        return [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]
