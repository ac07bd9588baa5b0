from django.db import models
from django.db.models import Q

import pghistory
import pgtrigger

from futuresocial.scoping import ALL


class EngagementType(models.TextChoices):
    PAYE = "paye", "PAYE"
    UMBRELLA = "umbrella", "Umbrella company"
    LIMITED = "limited", "Limited company"


class Role(models.Model):
    """A national job type. Caps are set per role; roles above team manager are `capped=False`, out of scope."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    capped = models.BooleanField(default=True, help_text="Within the MoU's scope (team manager level and below)")
    rank = models.PositiveSmallIntegerField(default=0, help_text="Display order, most junior first")

    class Meta:
        ordering = ["rank", "code"]

    scope = {"agency": ALL, "authority": ALL}  # reference data

    def __str__(self):
        return f"{self.code} – {self.name}"


class MouVersionQuerySet(models.QuerySet):
    def published(self):
        """Adopted versions (scheduled, in force or superseded): each binds work from its date; drafts bind nothing."""
        return self.exclude(status=MouVersion.Status.DRAFT)

    def binding(self, *, started_on, worked_on):
        """The version(s) that may bind work done on `worked_on` by a placement that started on `started_on`,
        latest first: the binding one is `.first()`.

        A version binds a day of work from its `effective_from`; a placement that started before the version stays
        under the version it started under until the new version's `binds_existing_from`. Both arguments may be
        dates or query expressions (OuterRef/F), so the audit can use the same rule as a correlated subquery.
        """
        return (
            self.published()
            .filter(effective_from__lte=worked_on)
            .filter(Q(effective_from__lte=started_on) | Q(binds_existing_from__lte=worked_on))
            .order_by("-effective_from")
        )


@pghistory.track()
@pgtrigger.register(
    # History is never rewritten: an adopted version can't be deleted (drafts can).
    pgtrigger.Protect(
        name="keep_published_versions",
        operation=pgtrigger.Delete,
        condition=pgtrigger.Q(old__status__in=["scheduled", "in_force", "superseded"]),
    ),
)
class MouVersion(models.Model):
    """A revision of the Agency Protocol; its rules (caps, cooling-off, minimum experience) are data."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"  # adopted; binds work from its date, in force on that day
        IN_FORCE = "in_force", "In force"
        SUPERSEDED = "superseded", "Superseded"

    name = models.CharField(max_length=120, unique=True)
    effective_from = models.DateField()
    binds_existing_from = models.DateField(
        help_text="From this date placements that started before the version are bound by it too"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)

    class CapBasis(models.TextChoices):
        PAY = "pay", "The hourly pay alone"
        PAY_AND_ON_COSTS = "pay_and_on_costs", "The hourly pay plus the employer's on-costs"

    cooling_off_months = models.PositiveSmallIntegerField(default=12)
    min_experience_years = models.PositiveSmallIntegerField(default=0)
    # The national caps compare pay plus the employer's on-costs; the West Midlands' versions compare the pay alone.
    cap_basis = models.CharField(
        "what the pay cap compares",
        max_length=20,
        choices=CapBasis.choices,
        default=CapBasis.PAY,
        db_default=CapBasis.PAY,  # rows written in SQL (the benches, a region's import) get it too
        help_text="The hourly pay alone, or the pay plus the employer's on-costs the placement records",
    )
    min_references = models.PositiveSmallIntegerField(
        "minimum practice-based references",
        default=0,
        db_default=0,
        help_text="References a placement needs recorded by its start (the national rules ask for 2; 0: no rule)",
    )
    notes = models.TextField(blank=True, help_text="Where the figures come from (e.g. 'illustrative figures')")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MouVersionQuerySet.as_manager()

    # The MoU's rules are public to everyone under it (the API hides drafts from councils and agencies).
    # The rules are public once published; a draft is the coordinator's working copy.
    scope = {"agency": ALL, "authority": ALL, "tenants_see": "published"}

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(binds_existing_from__gte=models.F("effective_from")),
                name="binds_existing_not_before_effective",
            ),
            # Exactly one version in force on any date: published versions never share an effective date
            # (the version in force on a day is the published one with the latest effective_from on or before it)...
            models.UniqueConstraint(
                fields=["effective_from"], condition=~Q(status="draft"), name="one_published_version_per_date"
            ),
            # ...and only the newest of them carries the `in_force` status.
            models.UniqueConstraint(fields=["status"], condition=Q(status="in_force"), name="one_version_in_force"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT


@pghistory.track()
class Cap(models.Model):
    """The maximum hourly pay and charge rates for a role (and engagement type, or any when null) in a version."""

    version = models.ForeignKey(MouVersion, on_delete=models.CASCADE, related_name="caps")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="caps", limit_choices_to={"capped": True})
    engagement_type = models.CharField(
        max_length=10, choices=EngagementType.choices, null=True, blank=True, help_text="Empty: any engagement type"
    )
    max_pay_rate = models.DecimalField(max_digits=7, decimal_places=2)
    max_charge_rate = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["version", "role__rank", "engagement_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "role", "engagement_type"],
                nulls_distinct=False,
                name="one_cap_per_version_role_engagement",
            ),
            models.CheckConstraint(condition=Q(max_pay_rate__gte=0), name="cap_pay_not_negative"),
            models.CheckConstraint(
                condition=Q(max_charge_rate__isnull=True) | Q(max_charge_rate__gte=models.F("max_pay_rate")),
                name="cap_charge_not_below_pay",
            ),
        ]

    def __str__(self):
        kind = self.get_engagement_type_display() if self.engagement_type else "any engagement"
        return f"{self.role.code} ({kind}) ≤ £{self.max_pay_rate}/h pay"
