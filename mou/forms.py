"""The coordinator's MoU editor: a draft's terms, and its caps as one grid (role × engagement type, pay and charge)."""

from decimal import Decimal

from django import forms

from futuresocial.forms import DATE_INPUT
from mou.models import EngagementType, MouVersion, Role
from mou.services import CapInput

ANY = "any"
# The grid's columns: the any-engagement cap first, then each engagement type's own.
ENGAGEMENT_COLUMNS = [(ANY, "Any engagement type"), *EngagementType.choices]


class VersionForm(forms.Form):
    """A draft's terms. The service checks them (a taken name, dates in the wrong order) and says why in words."""

    name = forms.CharField(max_length=120, help_text="e.g. April 2027")
    effective_from = forms.DateField(
        label="Effective from",
        widget=DATE_INPUT,
        help_text="The first day of work it binds. Today: in force once adopted; later: scheduled; earlier: "
        "recorded in the MoU's history.",
    )
    binds_existing_from = forms.DateField(
        label="Binds existing placements from",
        required=False,
        widget=DATE_INPUT,
        help_text="Placements that started before the version stay under the one they started under until this "
        "date. Leave empty: the effective date.",
    )
    cooling_off_months = forms.IntegerField(
        label="Cooling-off (months)",
        min_value=0,
        max_value=120,
        initial=12,
        help_text="No agency placement within this many months of leaving a permanent post in the region (0: none).",
    )
    min_experience_years = forms.IntegerField(
        label="Minimum post-qualifying experience (years)", min_value=0, max_value=50, initial=3
    )
    min_references = forms.IntegerField(
        label="Minimum practice-based references",
        min_value=0,
        max_value=10,
        initial=2,
        help_text="Recorded for each placement by its start (the national rules ask for 2; 0: no rule).",
        error_messages={
            "min_value": "Enter 0 or more references (0: no rule)",
            "max_value": "Enter at most 10 references",
            "invalid": "Enter a whole number of references",
        },
    )
    cap_basis = forms.ChoiceField(
        label="What the pay cap compares",
        choices=MouVersion.CapBasis.choices,
        initial=MouVersion.CapBasis.PAY,
        help_text="The national caps count the employer's on-costs with the pay; the region's versions so far compare "
        "the pay alone.",
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the figures come from, what was agreed and when.",
    )

    FIELDS = [
        "name",
        "effective_from",
        "binds_existing_from",
        "cooling_off_months",
        "min_experience_years",
        "min_references",
        "cap_basis",
        "notes",
    ]

    @classmethod
    def initial_of(cls, version: MouVersion) -> dict:
        return {name: getattr(version, name) for name in cls.FIELDS}


def _rate_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=7,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"}),
    )


class CapGridForm(forms.Form):
    """One pay and one charge field per capped role and engagement column. An empty pay cell sets no cap; a charge
    cell may stay empty (no charge-rate cap)."""

    def __init__(self, *args, version: MouVersion | None = None, **kwargs):
        self.roles = list(Role.objects.filter(capped=True).order_by("rank", "code"))
        if version is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: value
                for cap in version.caps.all()
                for name, value in (
                    (self.name_of(cap.role, cap.engagement_type or ANY, "pay"), cap.max_pay_rate),
                    (self.name_of(cap.role, cap.engagement_type or ANY, "charge"), cap.max_charge_rate),
                )
                if value is not None
            }
        super().__init__(*args, **kwargs)
        for role in self.roles:
            for column, column_label in ENGAGEMENT_COLUMNS:
                for kind in ("pay", "charge"):
                    label = f"{role.code} – {role.name}, {column_label.lower()}: {kind} cap £/h"
                    self.fields[self.name_of(role, column, kind)] = _rate_field(label)

    @staticmethod
    def name_of(role: Role, column: str, kind: str) -> str:
        return f"cap-{role.code}-{column}-{kind}"

    def rows(self):
        """For the template: each role with its cells (pay and charge bound fields per column)."""
        return [
            {
                "role": role,
                "cells": [
                    (self[self.name_of(role, column, "pay")], self[self.name_of(role, column, "charge")])
                    for column, _ in ENGAGEMENT_COLUMNS
                ],
            }
            for role in self.roles
        ]

    def clean(self):
        data = super().clean()
        for role in self.roles:
            for column, _ in ENGAGEMENT_COLUMNS:
                pay_name, charge_name = self.name_of(role, column, "pay"), self.name_of(role, column, "charge")
                if pay_name in self.errors or charge_name in self.errors:
                    continue  # already told what is wrong with the cell
                pay, charge = data.get(pay_name), data.get(charge_name)
                if pay is None and charge is not None:
                    self.add_error(pay_name, "Give the pay cap beside the charge cap.")
                elif pay is not None and charge is not None and charge < pay:
                    self.add_error(charge_name, f"The charge cap is below the pay cap (£{pay}).")
        return data

    def caps(self) -> list[CapInput]:
        return [
            CapInput(
                role=role,
                engagement_type=None if column == ANY else column,
                max_pay_rate=self.cleaned_data[self.name_of(role, column, "pay")],
                max_charge_rate=self.cleaned_data.get(self.name_of(role, column, "charge")),
            )
            for role in self.roles
            for column, _ in ENGAGEMENT_COLUMNS
            if self.cleaned_data.get(self.name_of(role, column, "pay")) is not None
        ]


class AdoptForm(forms.Form):
    reason = forms.CharField(
        label="Why (kept in the version's history)",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="e.g. 'Agreed by the regional board on 12 January'",
    )
