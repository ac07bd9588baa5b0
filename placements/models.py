from datetime import timedelta

from django.db import models
from django.db.models import F, Q

import pghistory
import pgtrigger

from futuresocial.once import duplicate_of_field
from mou.models import EngagementType

money = dict(max_digits=7, decimal_places=2)


@pghistory.track()  # the verified qualification date decides the minimum-experience rule: keep who changed it
class Worker(models.Model):
    """An agency social worker, known region-wide by their Social Work England registration number (the cooling-off
    rule follows them from council to council).

    What an agency says of a worker is that agency's claim, kept with its placement (`Placement.worker_qualified_on`):
    never shown to another agency nor imposed on its placements. The only worker fact of the region's own is the
    qualification date the coordinator has verified, which wins over any claim.
    """

    swe_number = models.CharField("SWE registration number", max_length=12, unique=True)
    verified_qualified_on = models.DateField(
        "qualification date (verified)",
        null=True,
        blank=True,
        help_text="Verified by the coordinator (e.g. on the Social Work England register); wins over agencies' claims",
    )
    qualified_on_verified_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    qualified_on_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["swe_number"]
        constraints = [
            models.CheckConstraint(condition=Q(swe_number__regex=r"^SW[0-9]{1,10}$"), name="swe_number_format"),
        ]

    # An agency sees the workers it placed; a council those placed with it or who left a post with it.
    scope = {"agency": "placements__agency", "authority": "placements__authority"}

    def __str__(self):
        return self.swe_number


@pghistory.track()
class PermanentLeaver(models.Model):
    """A council's record that a worker left an employed post with it: feeds the 12-month cooling-off rule."""

    class Reason(models.TextChoices):
        RESIGNATION = "resignation", "Resignation"
        REDUNDANCY = "redundancy", "Redundancy"
        END_OF_PROBATION = "end_of_probation", "Left during or at the end of probation"
        OTHER = "other", "Other"

    # Leaving for these reasons does not start a cooling-off period.
    EXEMPT_REASONS = (Reason.REDUNDANCY, Reason.END_OF_PROBATION)

    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="permanent_leavers")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="permanent_leavers")
    left_on = models.DateField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-left_on"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "worker", "left_on"], name="one_leaver_record_per_day"),
        ]

    scope = {"authority": "authority"}

    def __str__(self):
        return f"{self.worker} left {self.authority} on {self.left_on}"

    @property
    def is_exempt(self):
        return self.reason in self.EXEMPT_REASONS


class PlacementQuerySet(models.QuerySet):
    def active_on(self, day):
        """Placements active on `day`: started (`start_date <= day`) and not ended (no end date, or `end_date >= day`).
        The one definition of "active" (the placements page's "Active", the API's `active_on`, the home page's count);
        a placement starting later is not active yet."""
        return self.active_between(day, day)

    def ended_before(self, day):
        """Placements whose end date is past by `day` (ended the day before or earlier)."""
        return self.filter(end_date__lt=day)

    def missing_last_week(self, today):
        """Placements that ran in the last full week before `today` and have no timesheet for it yet."""
        from placements.timesheets.values import last_full_week_ending

        sunday = last_full_week_ending(today)
        return self.active_between(sunday - timedelta(days=6), sunday).exclude(timesheets__week_ending=sunday)

    def active_between(self, start, end):
        """Placements running on at least one day from `start` to `end` (both included; `start == end` for one day):
        started by `end` and not ended before `start`. The rule of `Placement.covers`, as a query."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=start), start_date__lte=end)


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="placements_are_never_deleted", operation=pgtrigger.Delete))
class Placement(models.Model):
    """A worker of an agency in a role at an authority, at agreed hourly rates."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="placements")
    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="placements")
    role = models.ForeignKey("mou.Role", on_delete=models.PROTECT, related_name="placements")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="placements")
    engagement_type = models.CharField(max_length=10, choices=EngagementType.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    pay_rate = models.DecimalField("hourly pay rate", **money)
    on_costs = models.DecimalField("hourly on-costs", **money, default=0)
    charge_rate = models.DecimalField("hourly charge rate", **money)
    project_team = models.BooleanField("part of a project team", default=False)
    worker_qualified_on = models.DateField(
        "worker's qualification date (as the agency states it)",
        null=True,
        blank=True,
        help_text="The agency's claim for this placement; the minimum-experience rule judges by it unless the "
        "coordinator has verified the worker's date",
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    duplicate_of = duplicate_of_field(
        "Stored twice before one placement per intent was enforced: the placement this one repeats (kept, since its "
        "timesheets refer to it, for the coordinator to review)"
    )

    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__lte=F("end_date")),
                name="placement_starts_before_end",
            ),
            models.CheckConstraint(
                condition=Q(pay_rate__gte=0, on_costs__gte=0, charge_rate__gte=0), name="placement_rates_not_negative"
            ),
            # One placement per intent: a double click, a client's retry or two requests at once store one row
            # (placement_register answers the repeat with the one stored). Rows stored twice before this existed
            # are marked `duplicate_of` and left out.
            models.UniqueConstraint(
                fields=["agency", "worker", "authority", "start_date"],
                condition=Q(duplicate_of__isnull=True),
                name="one_placement_per_agency_worker_authority_start",
            ),
        ]
        indexes = [
            # An agency's placements (the page and the API, scoped by `visible_to`), newest start first or by dates.
            models.Index(fields=["agency", "start_date"]),
            # The same for a council's placements, scoped to its authority.
            models.Index(fields=["authority", "start_date"]),
        ]

    scope = {"agency": "agency", "authority": "authority"}

    def __str__(self):
        return f"{self.worker} · {self.role.code} at {self.authority} via {self.agency} from {self.start_date}"

    def covers(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="references_are_never_deleted", operation=pgtrigger.Delete))
class Reference(models.Model):
    """A practice-based reference the agency obtained for the worker of one of its placements (the national rules ask
    for two by the start). Like every worker fact an agency states, it is that agency's claim, kept with its
    placement: seen by the agency, the council where the worker is placed and the coordinator, never another agency.
    """

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="references")
    referee = models.CharField("referee's name", max_length=120)
    referee_role = models.CharField("referee's role", max_length=120, help_text="For example: team manager")
    organisation = models.CharField(max_length=160, help_text="Where the referee worked with the worker")
    given_on = models.DateField("date of the reference")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["given_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "referee", "organisation", "given_on"], name="one_record_per_reference"
            ),
        ]
        indexes = [models.Index(fields=["placement", "given_on"])]

    scope = {"agency": "placement__agency", "authority": "placement__authority"}

    def __str__(self):
        return f"Reference from {self.referee} ({self.organisation}), {self.given_on}"


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="project_teams_are_never_deleted", operation=pgtrigger.Delete))
class ProjectTeam(models.Model):
    """A council's approved project (managed) team from an agency: under the national rules a placement registered
    as part of a project team needs its worker named on one, approved by the start, with its costs broken down."""

    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="project_teams")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="project_teams")
    name = models.CharField(max_length=160, help_text="For example: Assessment team, north locality")
    service = models.CharField(max_length=200, help_text="The service the team delivers")
    cost_of_service = models.DecimalField("total cost of the service (£)", max_digits=12, decimal_places=2)
    approved_by = models.CharField(max_length=160, help_text="Who approved the team at the council (name and post)")
    approved_on = models.DateField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-approved_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "agency", "name"], name="one_project_team_name_per_agency"),
            models.CheckConstraint(condition=Q(cost_of_service__gte=0), name="project_team_cost_not_negative"),
        ]

    scope = {"agency": "agency", "authority": "authority"}

    def __str__(self):
        return f"{self.name} ({self.agency} at {self.authority})"


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="project_team_members_are_never_deleted", operation=pgtrigger.Delete))
class ProjectTeamMember(models.Model):
    """A worker named on an approved project team, with the cost agreed for them."""

    team = models.ForeignKey(ProjectTeam, on_delete=models.PROTECT, related_name="members")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="project_teams")
    role = models.ForeignKey("mou.Role", on_delete=models.PROTECT, related_name="+")
    cost = models.DecimalField("cost of this worker (£)", max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["team", "worker__swe_number"]
        constraints = [
            models.UniqueConstraint(fields=["team", "worker"], name="worker_named_once_per_team"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="project_team_member_cost_not_negative"),
        ]

    scope = {"agency": "team__agency", "authority": "team__authority"}

    def __str__(self):
        return f"{self.worker} on {self.team}"


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="cap_exceptions_are_never_deleted", operation=pgtrigger.Delete))
class CapException(models.Model):
    """A council's signed approval to pay above the cap on one placement, until a date.

    Work it covers is reported with its sign-off rather than treated as a breach of the pay or charge cap.
    """

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="cap_exceptions")
    signed_by_dcs = models.CharField("signed by (director of children's services)", max_length=120)
    signed_by_chief_executive = models.CharField("signed by (chief executive)", max_length=120)
    reason = models.TextField()
    valid_from = models.DateField()
    valid_until = models.DateField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    duplicate_of = duplicate_of_field()

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            # One sign-off per placement and period: the same exception sent twice is one (cap_exception_record).
            models.UniqueConstraint(
                fields=["placement", "valid_from", "valid_until"],
                condition=Q(duplicate_of__isnull=True),
                name="one_cap_exception_per_intent",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_until")), name="exception_valid_from_before_until"
            ),
            models.CheckConstraint(
                condition=~Q(signed_by_dcs="") & ~Q(signed_by_chief_executive=""), name="exception_has_both_signatures"
            ),
        ]

    scope = {"agency": "placement__agency", "authority": "placement__authority"}

    def __str__(self):
        return f"Cap exception for placement {self.placement_id} until {self.valid_until}"

    def covers(self, day) -> bool:
        return self.valid_from <= day <= self.valid_until


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="timesheets_are_never_deleted", operation=pgtrigger.Delete))
class Timesheet(models.Model):
    """A placement's week. Resubmitting a week adds a revision: new lines replace the old, which stay as history."""

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="timesheets")
    week_ending = models.DateField()
    revision = models.PositiveIntegerField(default=1)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_ending"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "week_ending"], name="one_timesheet_per_placement_week"),
        ]
        # The week's timesheets in (PlacementQuerySet.missing_last_week, the home page's "timesheets not in"): read
        # from the week's entries, not from a scan of every week's timesheets (200,000 of them: bench/pages.py).
        indexes = [models.Index(fields=["week_ending", "placement"], name="timesheets_of_a_week")]

    scope = {"agency": "placement__agency", "authority": "placement__authority"}

    def __str__(self):
        return f"Timesheet w/e {self.week_ending} for placement {self.placement_id}"

    @property
    def week_starting(self):
        return self.week_ending - timedelta(days=6)

    def current_lines(self):
        return self.lines.current()


class TimesheetLineQuerySet(models.QuerySet):
    def current(self):
        """The lines of each week as it stands: a resubmission marks the lines it replaces superseded (they stay as
        history). The one definition of a current line; the audit's and the dashboards' SQL say `superseded_at IS
        NULL` likewise."""
        return self.filter(superseded_at__isnull=True)


# The same, seen from a timesheet (for counts and sums over its current lines).
CURRENT_LINES = Q(lines__superseded_at__isnull=True)


@pgtrigger.register(pgtrigger.Protect(name="timesheet_lines_are_never_deleted", operation=pgtrigger.Delete))
class TimesheetLine(models.Model):
    """A day's hours at a pay and charge rate. Lines are only ever added; a resubmission marks the old ones
    superseded. The audit reads lines by id above its last watermark, so it never rewrites a line."""

    timesheet = models.ForeignKey(Timesheet, on_delete=models.PROTECT, related_name="lines")
    # Denormalised from the timesheet so the audit joins lines straight to placements. Indexed with the date (below):
    # a placement's lines over some days are what re-judging reads.
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="timesheet_lines", db_index=False)
    revision = models.PositiveIntegerField()
    date = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    pay_rate = models.DecimalField(**money)
    charge_rate = models.DecimalField(**money)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["timesheet", "revision", "date"], name="one_line_per_day_per_revision"),
            models.CheckConstraint(condition=Q(hours__gte=0, hours__lte=24), name="line_hours_within_a_day"),
            models.CheckConstraint(condition=Q(pay_rate__gte=0, charge_rate__gte=0), name="line_rates_not_negative"),
        ]
        indexes = [
            models.Index(fields=["placement", "date"], name="line_placement_date"),
            # The few replaced lines, which each audit takes out of their cases: found without reading every line.
            models.Index(fields=["id"], condition=Q(superseded_at__isnull=False), name="line_superseded"),
        ]

    objects = TimesheetLineQuerySet.as_manager()

    scope = {"agency": "placement__agency", "authority": "placement__authority"}

    def __str__(self):
        return f"{self.date}: {self.hours} h at £{self.pay_rate}/h"
