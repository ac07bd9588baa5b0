"""Pre-computed summaries the dashboards read, so no page scans the timesheet lines while a person waits.

The rule: **only current lines count.** A resubmitted week's replaced lines (`superseded_at` set) are history and
appear in no summary; a line counts once, in the month of its date, under the placement's authority, agency, role and
engagement type and the MoU version that binds it (`mou.selectors.binding_version_sql`, as the audit judges it).

`RateSummary` is built from the lines, `MonthlyRates` and `AgencyLines` from `RateSummary`;
`dashboards.summaries.summaries_refresh` keeps them all up to date: after each audit run, from beat, and from
`manage.py refresh_dashboards`.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from mou.models import EngagementType

money = dict(max_digits=16, decimal_places=4)


class RateMeasures(models.Model):
    """The measures `RateSummary` and `MonthlyRates` both carry, one definition for the two tables.

    Sums rather than averages, so that any selection of rows adds up to exact figures: an average rate is
    `pay_amount / hours` (hours-weighted, the rate paid per hour worked), its spread comes from `pay_squares`
    (standard deviation = sqrt(squares / hours - average²)). Hours above a cap compare each line with the cap that
    binds it, including work a council signed off with a cap exception (an exception excuses a breach, it does not
    lower the rate).
    """

    lines = models.PositiveIntegerField()
    hours = models.DecimalField(max_digits=12, decimal_places=2)
    hours_above_pay_cap = models.DecimalField(max_digits=12, decimal_places=2)
    hours_above_charge_cap = models.DecimalField(max_digits=12, decimal_places=2)
    pay_amount = models.DecimalField("Σ pay rate × hours", **money)
    charge_amount = models.DecimalField("Σ charge rate × hours", **money)
    pay_squares = models.DecimalField("Σ pay rate² × hours", max_digits=24, decimal_places=6)
    charge_squares = models.DecimalField("Σ charge rate² × hours", max_digits=24, decimal_places=6)
    min_pay_rate = models.DecimalField(max_digits=7, decimal_places=2)
    max_pay_rate = models.DecimalField(max_digits=7, decimal_places=2)
    min_charge_rate = models.DecimalField(max_digits=7, decimal_places=2)
    max_charge_rate = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        abstract = True


class RateSummary(RateMeasures):
    """The current timesheet lines of one month, authority, agency, role, engagement type and binding MoU version.

    Its measures (`RateMeasures`) are sums, so that any selection of rows adds up to exact figures.
    """

    month = models.DateField(help_text="First day of the month of the lines' dates")
    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    role = models.ForeignKey("mou.Role", on_delete=models.PROTECT, related_name="+", db_index=False)
    engagement_type = models.CharField(max_length=10, choices=EngagementType.choices)
    mou_version = models.ForeignKey(
        "mou.MouVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="The version binding the work; empty before the first version (before the caps)",
    )
    # Which placements the lines are of: a count of distinct placements does not add up over rows (a placement
    # bound by two versions in one month is in two), so MonthlyRates counts them from these (the disclosure rule's
    # `placements`, futuresocial.disclosure). A row holds the placements of one agency at one authority: a handful.
    placement_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "authority", "agency", "role", "engagement_type", "mou_version"],
                nulls_distinct=False,
                name="one_rate_summary_per_group",
            ),
        ]
        # The unique index (month first) serves the region's pages and the refresh's deletes by month; this one a
        # council's pages (its authority, by month).
        indexes = [models.Index(fields=["authority", "month"], name="rate_summary_authority_month")]

    scope = {"authority": "authority"}

    def __str__(self):
        return f"{self.month:%b %Y} · {self.authority_id}/{self.agency_id}/{self.role_id}/{self.engagement_type}"


class MonthlyRates(RateMeasures):
    """`RateSummary` added up without the agency: per month, authority, role, engagement type and whether the work
    came before the caps (no MoU version binds it); with no authority, the region's total (all 14).

    What the rates and cost pages read: a page's query touches at most months × roles × engagement types rows of its
    authority (or of the region), however many lines and agencies lie behind them. Same measures as `RateSummary`
    (`RateMeasures`).
    """

    month = models.DateField()
    authority = models.ForeignKey(
        "region.Authority",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="Empty: the region's total",
    )
    role = models.ForeignKey("mou.Role", on_delete=models.PROTECT, related_name="+", db_index=False)
    engagement_type = models.CharField(max_length=10, choices=EngagementType.choices)
    before_caps = models.BooleanField(help_text="Work no MoU version binds (before the first version)")
    # What the disclosure rule (futuresocial.disclosure) weighs when a council reads the region's rows: how many
    # placements and authorities the row rests on (an authority's own row: 1 authority).
    placements = models.PositiveIntegerField(default=0, help_text="Distinct placements whose lines are in the row")
    authorities = models.PositiveSmallIntegerField(default=0, help_text="Distinct authorities of those placements")

    class Meta:
        verbose_name_plural = "monthly rates"
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "month", "role", "engagement_type", "before_caps"],
                nulls_distinct=False,
                name="one_monthly_rates_row_per_group",
            ),
        ]
        # The unique index (authority first, NULL for the region) is the one every page's query uses.

    scope = {"authority": "authority"}  # the region's rows are read by the views for everyone, explicitly

    def __str__(self):
        return f"{self.month:%b %Y} · {self.authority_id or 'region'}/{self.role_id}/{self.engagement_type}"


class AgencyLines(models.Model):
    """An agency's current timesheet lines and hours at an authority, all time: the compliance page's "lines
    checked", added up from `RateSummary` so that the page reads one row per agency and authority."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="+")
    lines = models.PositiveBigIntegerField()
    hours = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        verbose_name_plural = "agency lines"
        constraints = [models.UniqueConstraint(fields=["agency", "authority"], name="one_agency_lines_per_authority")]
        # The unique index (agency first) serves the region's compliance page (summed per agency) and the refresh's
        # per-agency recompute; the authority's own index a council's compliance page.

    scope = {"authority": "authority"}

    def __str__(self):
        return f"{self.agency_id} at {self.authority_id}: {self.lines} lines"


class SummaryWatermark(models.Model):
    """How far the summaries have got: one row (pk 1), updated by every refresh in the refresh's transaction."""

    line_id = models.BigIntegerField(default=0, help_text="Timesheet lines up to this id are summarised")
    placement_event_id = models.BigIntegerField(default=0, help_text="Placement changes up to this history id")
    rules_fingerprint = models.CharField(max_length=32, blank=True, help_text="MoU versions and caps summarised")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    full_rebuild_at = models.DateTimeField(null=True, blank=True)
    last_groups = models.PositiveIntegerField(default=0, help_text="Groups recomputed by the last refresh")
    last_seconds = models.FloatField(default=0)

    def __str__(self):
        return f"Dashboard summaries up to line {self.line_id}"
