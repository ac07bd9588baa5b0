from datetime import date

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest

import pghistory
import pgtrigger

from futuresocial.scoping import ALL


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="agencies_are_never_deleted", operation=pgtrigger.Delete))
class Agency(models.Model):
    """A recruitment agency supplying locum social workers under the MoU.

    An MSP (managed service provider) supplies through second-tier agencies; each second-tier agency points at its
    MSP through `supplied_through` and stays answerable for its own breaches.
    """

    class Standing(models.TextChoices):
        APPROVED = "approved", "Approved"
        SUSPENDED = "suspended", "Suspended"
        REMOVED = "removed", "Removed"

    name = models.CharField(max_length=200, unique=True)
    company_number = models.CharField(max_length=8, unique=True, help_text="Companies House number")
    standing = models.CharField(max_length=10, choices=Standing.choices, default=Standing.APPROVED)
    is_msp = models.BooleanField("managed service provider", default=False)
    supplied_through = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="second_tier_agencies",
        limit_choices_to={"is_msp": True},
        help_text="The MSP this second-tier agency supplies through",
    )
    mou_signed_on = models.DateField("MoU signed on", null=True, blank=True)
    contact_email = models.EmailField(blank=True)
    # The agency's own details, kept by the agency (its name, number and standing are the coordinator's).
    # Database defaults too: the benches and the demo's SQL write agencies without them.
    contact_name = models.CharField("contact name", max_length=120, blank=True, default="", db_default="")
    contact_phone = models.CharField("contact telephone", max_length=30, blank=True, default="", db_default="")
    address = models.TextField("postal address", blank=True, default="", db_default="")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(supplied_through__isnull=True) | ~Q(supplied_through=models.F("id")),
                name="agency_not_supplied_through_itself",
            ),
        ]

    # Every council sees every agency's standing (SPEC §2); an agency sees itself.
    scope = {"agency": "id", "authority": ALL}

    def __str__(self):
        return self.name

    @property
    def may_register_placements(self):
        return self.standing == self.Standing.APPROVED


class SuspensionQuerySet(models.QuerySet):
    def active_on(self, day):
        """Suspensions in effect on `day` (a date or a query expression): the rule of `Suspension.is_active_on`."""
        return self.filter(starts_on__lte=day).exclude(lifted_on__lte=day).exclude(ends_on__lte=day)

    def overlapping(self, start, end):
        """Suspensions in effect on at least one day from `start` to `end` (both included): those in effect on the
        later of `start` and their own first day, if that is by `end` (a suspension lifted on its first day never
        was). The rule of `active_on`, not a second one."""
        first_day_in_range = Greatest(Value(start), F("starts_on"))
        return self.filter(starts_on__lte=end).active_on(first_day_in_range)


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="suspensions_are_never_deleted", operation=pgtrigger.Delete))
class Suspension(models.Model):
    """An agency taken off the list of agencies allowed to supply the region, for a time or until lifted."""

    class Kind(models.TextChoices):
        TEMPORARY = "temporary", "Temporary"
        ONGOING = "ongoing", "Ongoing"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="suspensions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    starts_on = models.DateField(default=date.today)
    ends_on = models.DateField(null=True, blank=True, help_text="Temporary suspensions end on this date")
    reason = models.TextField()
    breaches = models.ManyToManyField("compliance.Breach", blank=True, related_name="suspensions")
    imposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    imposed_at = models.DateTimeField(auto_now_add=True)
    lifted_on = models.DateField(null=True, blank=True)
    lifted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lift_reason = models.TextField(blank=True)

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="temporary", ends_on__isnull=False) | Q(kind="ongoing", ends_on__isnull=True),
                name="temporary_suspension_has_end_date",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="suspension_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=models.F("starts_on")),
                name="suspension_lifted_after_start",
            ),
        ]

    scope = {"agency": "agency", "authority": ALL}

    def __str__(self):
        return f"{self.get_kind_display()} suspension of {self.agency} from {self.starts_on}"

    def is_active_on(self, day: date) -> bool:
        if day < self.starts_on:
            return False
        if self.lifted_on is not None and day >= self.lifted_on:
            return False
        return self.ends_on is None or day < self.ends_on
