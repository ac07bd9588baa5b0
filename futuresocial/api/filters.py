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


class FilterBackend(drf_filters.DjangoFilterBackend):
    """django-filter's backend, building a viewset's `filterset_fields` on the API's FilterSet."""

    filterset_base = FilterSet


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` as DRF has it, with the primary key as the last tie-breaker: ordering by a field that rows share
    (a start date, a status) would otherwise page unpredictably, repeating or skipping rows between pages."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or any(field.lstrip("-") in ("pk", "id") for field in ordering):
            return ordering
        return [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]
