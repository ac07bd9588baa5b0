from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

import pghistory


def _rate(numerator, denominator):
    """Percentage to one decimal place, halves rounded up as the DfE publishes them (16.25 → 16.3), or None when an
    input is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class WorkforceRates:
    """The DfE's derived rates (same definitions on returns and on official figures)."""

    @property
    def agency_rate(self):
        if self.employed_fte is None or self.agency_fte is None:
            return None
        return _rate(self.agency_fte, self.agency_fte + self.employed_fte)

    @property
    def turnover_rate(self):
        return _rate(self.leavers_fte, self.employed_fte)

    @property
    def vacancy_rate(self):
        if self.employed_fte is None or self.vacancies_fte is None:
            return None
        return _rate(self.vacancies_fte, self.vacancies_fte + self.employed_fte)


fte = dict(max_digits=9, decimal_places=2)


def not_in_the_future(day):
    """A return describes a period that has ended: its period end is today or before."""
    if day > timezone.localdate():
        raise ValidationError("The period end is in the future: a return is made once its period has ended.")


# The DfE's children's social work workforce statistics start with 30 September 2010: a return before it has nothing
# to be compared with (and 1900 is a typing slip, not a period).
FIRST_PERIOD_END = date(2010, 1, 1)


def from_2010(day):
    if day < FIRST_PERIOD_END:
        raise ValidationError("The period end is before 2010: the workforce statistics start on 30 September 2010.")


# Forms, the API and the upload all validate through these (the check constraints below are the last line).
NOT_NEGATIVE = [MinValueValidator(0, message="An FTE cannot be negative.")]
PERCENTAGE = [
    MinValueValidator(0, message="A rate is between 0 and 100."),
    MaxValueValidator(100, message="A rate is between 0 and 100."),
]


@pghistory.track()
class WorkforceReturn(WorkforceRates, models.Model):
    """A council's own return for a period end: the figures behind its agency, turnover and vacancy rates."""

    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="workforce_returns")
    period_end = models.DateField(validators=[from_2010, not_in_the_future])
    permanent_fte = models.DecimalField("employed FTE in post", **fte, validators=NOT_NEGATIVE)
    agency_fte = models.DecimalField("agency FTE", **fte, validators=NOT_NEGATIVE)
    vacancies_fte = models.DecimalField("vacancies FTE", **fte, validators=NOT_NEGATIVE)
    leavers_fte = models.DecimalField("leavers FTE in the preceding year", **fte, validators=NOT_NEGATIVE)
    absence_rate = models.DecimalField(
        "absence rate %", max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENTAGE
    )
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_end", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "period_end"], name="one_return_per_authority_period"),
            models.CheckConstraint(
                condition=Q(permanent_fte__gte=0, agency_fte__gte=0, vacancies_fte__gte=0, leavers_fte__gte=0),
                name="return_fte_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(absence_rate__isnull=True) | Q(absence_rate__gte=0, absence_rate__lte=100),
                name="return_absence_rate_is_a_percentage",
            ),
        ]

    scope = {"authority": "authority"}

    # What a council submits for a period end; a resubmission replaces these.
    FIGURES = ("permanent_fte", "agency_fte", "vacancies_fte", "leavers_fte", "absence_rate")

    def __str__(self):
        return f"{self.authority} return for {self.period_end}"

    @property
    def employed_fte(self):
        return self.permanent_fte


class OfficialFigure(WorkforceRates, models.Model):
    """A row of the DfE's children's social work workforce statistics, as published.

    Suppressed or special values (z, u, x, c, low) are stored as NULL with their code in `suppressed`,
    never as 0. Each release is kept apart (`release`), so importing an older file never overwrites a newer one.
    """

    class Level(models.TextChoices):
        NATIONAL = "national", "National"
        REGIONAL = "regional", "Regional"
        LOCAL_AUTHORITY = "local_authority", "Local authority"

    release = models.CharField(max_length=60, help_text="The statistics file the row came from")
    level = models.CharField(max_length=20, choices=Level.choices)
    area_code = models.CharField(max_length=30, help_text="ONS code of the country, region or authority")
    area_name = models.CharField(max_length=120)
    authority = models.ForeignKey(
        "region.Authority", on_delete=models.PROTECT, null=True, blank=True, related_name="official_figures"
    )
    year = models.PositiveSmallIntegerField(help_text="Reporting year (snapshot at 30 September)")
    period_end = models.DateField()
    employed_fte = models.DecimalField(**fte, null=True, blank=True)
    agency_fte = models.DecimalField(**fte, null=True, blank=True)
    vacancies_fte = models.DecimalField(**fte, null=True, blank=True)
    leavers_fte = models.DecimalField(**fte, null=True, blank=True)
    absence_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    published_agency_rate = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    published_turnover_rate = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    published_vacancy_rate = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    suppressed = models.JSONField(default=dict, blank=True, help_text="field name → suppression code (z, u, x, c, low)")

    class Meta:
        ordering = ["level", "area_name", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "area_code", "period_end"], name="one_official_row_per_release_area_period"
            ),
            models.CheckConstraint(
                condition=Q(level="local_authority") | Q(authority__isnull=True), name="only_la_rows_name_an_authority"
            ),
        ]

    def __str__(self):
        return f"{self.area_name} {self.year} ({self.release})"
