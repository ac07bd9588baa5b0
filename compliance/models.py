from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import MD5

import pghistory
import pgtrigger

from futuresocial.once import duplicate_of_field

money = dict(max_digits=12, decimal_places=2)


class AuditRun(models.Model):
    """One run of the audit, watchable while it runs.

    The audit never stamps the rows it judges: each run records how far it got. Timesheet lines are judged in chunks
    of ids (`from_line_id`, `to_line_id`]; each chunk commits with `checked_line_id`, so a run that dies leaves every
    committed chunk counted and the next run carries on from the highest `checked_line_id` of any run. Placements
    (and placements whose worker gained a permanent-leaver record) are judged in one step, recorded by
    `placements_done` with the id ranges it covered.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    trigger = models.CharField(
        max_length=20, default="manual", help_text="manual, timesheet, nightly, rejudge or command"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the worker running it")
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task was last handed to the broker (beat sends a stuck one again)"
    )
    from_line_id = models.BigIntegerField(default=0)
    to_line_id = models.BigIntegerField(null=True, blank=True)
    checked_line_id = models.BigIntegerField(null=True, blank=True, help_text="Lines up to this id are judged")
    from_placement_id = models.BigIntegerField(default=0)
    to_placement_id = models.BigIntegerField(null=True, blank=True)
    from_leaver_id = models.BigIntegerField(default=0)
    to_leaver_id = models.BigIntegerField(null=True, blank=True)
    placements_done = models.BooleanField(default=False)
    lines_checked = models.PositiveBigIntegerField(default=0)
    lines_rejudged = models.PositiveBigIntegerField(
        default=0, help_text="Lines judged before and judged again by this run, because a change asked (Rejudge)"
    )
    placements_rejudged = models.PositiveIntegerField(default=0)
    placements_checked = models.PositiveIntegerField(default=0)
    breaches_found = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="audit_progress_is_a_percentage"
            ),
            # One audit at a time: a second request while one runs waits for it rather than judging the same lines.
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="one_audit_running"),
        ]

    def __str__(self):
        return f"Audit run {self.pk} ({self.status})"


class Rejudge(models.Model):
    """A change that alters how work already judged is judged (an MoU version adopted for dates already worked, a
    cap exception covering past days, a suspension or a permanent leaver recorded), asking the next audit run to
    judge that work again: lines dated `lines_from`..`lines_until`, placements started `placements_from`..
    `placements_until`, narrowed to one placement, agency or worker when set. Written by compliance.receivers from
    `mou.signals.judging_changed`; the run that did it is recorded, with how much it judged again."""

    reason = models.CharField(max_length=300, help_text="The change, as a case dismissed by it says")
    lines_from = models.DateField(null=True, blank=True)
    lines_until = models.DateField(null=True, blank=True)
    placements_from = models.DateField(null=True, blank=True)
    placements_until = models.DateField(null=True, blank=True)
    placement = models.ForeignKey(
        "placements.Placement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    worker = models.ForeignKey("placements.Worker", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    audit_run = models.ForeignKey(AuditRun, on_delete=models.PROTECT, null=True, blank=True, related_name="rejudges")
    lines_rejudged = models.PositiveBigIntegerField(default=0)
    placements_rejudged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["audit_run"], condition=Q(audit_run__isnull=True), name="rejudge_waiting")]

    scope = {}  # the region's working record: councils and agencies see its effects on their cases

    def __str__(self):
        return f"Re-judge {self.pk}: {self.reason}"


class BreachQuerySet(models.QuerySet):
    def unresolved(self):
        """Cases that still need someone's attention (not resolved or dismissed)."""
        return self.exclude(status__in=Breach.CLOSED_STATUSES)


# --- The counts of cases, kept by the database (BreachCount, OpenBreachCount)

# What a statement on breaches changed, as (row, +1 for its new version, -1 for its old). Statement-level triggers
# with transition tables: the audit's INSERT of 20,000 cases adds to the counts in one statement, not 20,000.
_CHANGES = {
    "insert": "SELECT *, 1 AS d FROM new_cases",
    "update": "SELECT *, 1 AS d FROM new_cases UNION ALL SELECT *, -1 FROM old_cases",
    "delete": "SELECT *, -1 AS d FROM old_cases",
}


def _counts_func(operation: str) -> str:
    """The body of the trigger that keeps the counts exact after an INSERT, UPDATE or DELETE of breaches: each
    group's count moves by the rows that entered it less the rows that left it, in key order (two transactions
    touching the same groups lock them in the same order). A group left at 0 is deleted."""
    changes = _CHANGES[operation]
    # The day a case was detected, as the pages count days (Django's __date: the project's time zone).
    detected_on = f"(detected_at AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"""
        INSERT INTO compliance_breachcount AS c (agency_id, authority_id, assignee_id, status, n)
        SELECT agency_id, authority_id, assignee_id, status, sum(d)::int
          FROM ({changes}) x
         GROUP BY agency_id, authority_id, assignee_id, status HAVING sum(d) <> 0
         ORDER BY agency_id, authority_id, assignee_id, status
        ON CONFLICT (agency_id, authority_id, assignee_id, status) DO UPDATE SET n = c.n + excluded.n;
        INSERT INTO compliance_openbreachcount AS c (detected_on, agency_id, authority_id, n)
        SELECT {detected_on}, agency_id, authority_id, sum(d)::int
          FROM ({changes}) x
         WHERE status NOT IN ('resolved', 'dismissed')
         GROUP BY {detected_on}, agency_id, authority_id HAVING sum(d) <> 0
         ORDER BY {detected_on}, agency_id, authority_id
        ON CONFLICT (detected_on, agency_id, authority_id) DO UPDATE SET n = c.n + excluded.n;
        DELETE FROM compliance_breachcount WHERE n = 0;
        DELETE FROM compliance_openbreachcount WHERE n = 0;
        RETURN NULL;
    """


def _counts_trigger(operation: str) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=f"breach_counts_on_{operation}",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation={"insert": pgtrigger.Insert, "update": pgtrigger.Update, "delete": pgtrigger.Delete}[operation],
        referencing=pgtrigger.Referencing(
            old="old_cases" if operation != "insert" else None, new="new_cases" if operation != "delete" else None
        ),
        func=_counts_func(operation),
    )


@pghistory.track()
@pgtrigger.register(
    pgtrigger.Protect(name="breaches_are_never_deleted", operation=pgtrigger.Delete),
    # The counts pages read instead of counting 200,000 cases (BreachCount, OpenBreachCount). In the database, not
    # in the services: the audit's SQL, bulk updates, the admin and migrations all write breaches.
    *(_counts_trigger(operation) for operation in ("insert", "update", "delete")),
)
class Breach(models.Model):
    """One case per (placement, rule, MoU version), gathering its offending lines and their evidence."""

    class Rule(models.TextChoices):
        PAY_RATE_ABOVE_CAP = "pay_rate_above_cap", "Pay rate above the cap"
        CHARGE_RATE_ABOVE_CAP = "charge_rate_above_cap", "Charge rate above the cap"
        SUSPENDED_AGENCY = "suspended_agency", "Placement started while the agency was suspended or removed"
        COOLING_OFF = "cooling_off", "Worker left a permanent post in the region within the cooling-off period"
        EXPERIENCE_BELOW_MINIMUM = "experience_below_minimum", "Worker below the minimum post-qualifying experience"
        REFERENCES_MISSING = "references_missing", "Fewer practice-based references than required by the start"
        PROJECT_TEAM_UNAPPROVED = "project_team_unapproved", "Project-team worker not named on an approved team"
        MANUAL = "manual", "Reported by a person"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UNDER_REVIEW = "under_review", "Under review"
        CORRECTIVE_ACTION = "corrective_action", "Corrective action"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"
        ESCALATED = "escalated", "Escalated to suspension"

    class Severity(models.TextChoices):
        MINOR = "minor", "Minor"
        SERIOUS = "serious", "Serious"

    class Source(models.TextChoices):
        AUDIT = "audit", "Audit"
        MANUAL = "manual", "Manual report"

    # A case still needs someone's attention until it is resolved or dismissed.
    CLOSED_STATUSES = (Status.RESOLVED, Status.DISMISSED)

    # The rules in a few words, for a table's column; the full wording (Breach.Rule's label) is the cell's tooltip.
    # The rules judged once, at a placement's start (the audit's placement rules): a breach of one happened then.
    RULES_AT_THE_START = (
        Rule.SUSPENDED_AGENCY,
        Rule.COOLING_OFF,
        Rule.EXPERIENCE_BELOW_MINIMUM,
        Rule.REFERENCES_MISSING,
        Rule.PROJECT_TEAM_UNAPPROVED,
    )
    RULE_SHORT = {
        Rule.PAY_RATE_ABOVE_CAP: "Pay over the cap",
        Rule.CHARGE_RATE_ABOVE_CAP: "Charge over the cap",
        Rule.SUSPENDED_AGENCY: "Agency suspended",
        Rule.COOLING_OFF: "Cooling-off period",
        Rule.EXPERIENCE_BELOW_MINIMUM: "Experience below minimum",
        Rule.REFERENCES_MISSING: "References missing",
        Rule.PROJECT_TEAM_UNAPPROVED: "Project team not approved",
        Rule.MANUAL: "Reported",
    }
    # What each rule means, in the words of the MoU, for the case's page.
    RULE_EXPLAINED = {
        Rule.PAY_RATE_ABOVE_CAP: "The hourly pay rate was above the cap for the role (and engagement type) in the "
        "MoU version that binds the placement (with the placement's on-costs, where the version's cap counts them). "
        "Each line below is a day paid above the cap.",
        Rule.CHARGE_RATE_ABOVE_CAP: "The hourly charge rate to the council was above the charge cap for the role "
        "(and engagement type) in the MoU version that binds the placement. Each line below is a day charged above it.",
        Rule.SUSPENDED_AGENCY: "The placement started while the agency was suspended or removed from the list of "
        "agencies allowed to supply the region's councils.",
        Rule.COOLING_OFF: "The worker left a permanent post at one of the region's councils within the cooling-off "
        "period of the MoU version (12 months), for a reason that does not exempt them.",
        Rule.EXPERIENCE_BELOW_MINIMUM: "The placement started before the worker had the minimum years of "
        "post-qualifying experience the MoU version asks for.",
        Rule.REFERENCES_MISSING: "Fewer practice-based references were recorded for the placement, dated by its "
        "start, than the MoU version asks for (the national rules ask for two).",
        Rule.PROJECT_TEAM_UNAPPROVED: "The placement was registered as part of a project team, but its worker is not "
        "named on a project team of the agency that the council had approved by the start (the national rules allow "
        "project teams only with every worker named and pre-approved).",
        Rule.MANUAL: "Reported by a person: the description says what happened.",
    }

    # No single-column indexes where a composite one below starts with the column (agency, placement): each index
    # is written for every case the audit opens.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="breaches", db_index=False)
    authority = models.ForeignKey(
        "region.Authority", on_delete=models.PROTECT, null=True, blank=True, related_name="breaches"
    )
    placement = models.ForeignKey(
        "placements.Placement", on_delete=models.PROTECT, null=True, blank=True, related_name="breaches", db_index=False
    )
    rule = models.CharField(max_length=30, choices=Rule.choices)
    mou_version = models.ForeignKey(
        "mou.MouVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="breaches"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AUDIT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MINOR)
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_breaches"
    )
    description = models.TextField(blank=True)
    reported_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    dismissed_reason = models.TextField(blank=True)
    # A cooling-off case's leaver record: which council the worker left, and why, is that council's (shown to it and
    # the coordinator by leaver_detail_for); the description says only what the agency needs to act.
    leaver = models.ForeignKey(
        "placements.PermanentLeaver", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Evidence, kept up to date by the audit as it adds lines: the cap that applied and the totals.
    cap_amount = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    excess_amount = models.DecimalField("total excess (£)", **money, default=0)
    excess_hours = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    lines_count = models.PositiveIntegerField(default=0)
    detected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was resolved or dismissed")
    duplicate_of = duplicate_of_field()

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name_plural = "breaches"
        constraints = [
            # One manual report per intent: the same reporter's words about the same agency (and placement) are one
            # case, however often or fast they are sent (breach_report_manual answers the repeat with it). The text by
            # its MD5: a btree entry holds at most a few KB.
            models.UniqueConstraint(
                "agency",
                "authority",
                "placement",
                "reported_by",
                MD5("description"),
                condition=Q(rule="manual", duplicate_of__isnull=True),
                nulls_distinct=False,
                name="one_manual_report_per_intent",
            ),
            # The audit inserts with ON CONFLICT DO NOTHING against this, so a repeated run opens no second case.
            models.UniqueConstraint(
                fields=["placement", "rule", "mou_version"],
                condition=~Q(rule="manual"),
                name="one_case_per_placement_rule_version",
            ),
            models.CheckConstraint(
                condition=Q(rule="manual") | Q(placement__isnull=False), name="audit_breach_has_placement"
            ),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismissed_reason=""), name="dismissal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(excess_amount__gte=0, excess_hours__gte=0), name="breach_excess_not_negative"
            ),
        ]
        indexes = [
            # The breach queue and the API's list filtered by status and sorted by excess (largest first).
            models.Index(fields=["status", "-excess_amount"]),
            # An agency's cases by status: its home page's unresolved cases, its queue, and the cases a suspension or
            # a corrective action may cite.
            models.Index(fields=["agency", "status"]),
            # The queue's other orders (newest or oldest first; largest excess first across statuses): the first page
            # of 200,000 cases read from the index, not sorted whole (bench/pages.py).
            models.Index(fields=["-detected_at", "-id"], name="breach_newest_first"),
            models.Index(fields=["-excess_amount", "-detected_at", "-id"], name="breach_largest_first"),
            # An agency's and a council's queue, newest first.
            models.Index(fields=["agency", "-detected_at", "-id"], name="breach_agency_newest_first"),
            models.Index(fields=["authority", "-detected_at", "-id"], name="breach_authority_newest_first"),
        ]

    scope = {"agency": "agency", "authority": "authority"}
    # The leaver record names the council the worker left: its history would show it to the agency (leaver_detail_for
    # shows it to those who may read it).
    history_hidden = ("leaver_id",)
    # A cooling-off case's description once named the council the worker left and why (rewritten by migration
    # 0012): its earlier wording stays in the history, which the agency and the placement's council also read.
    history_regional_only = ("description",)

    objects = BreachQuerySet.as_manager()

    def __str__(self):
        return f"Breach {self.pk}: {self.get_rule_display()} ({self.agency})"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    def leaver_detail_for(self, user) -> str | None:
        """Where and why the worker of a cooling-off case left a permanent post: for the coordinator and the council
        the worker left only (the agency and the placement's council learn that the worker left, and when)."""
        leaver = self.leaver
        own_council = user.is_council and leaver is not None and user.authority_id == leaver.authority_id
        if leaver is None or not (user.is_coordinator or own_council):
            return None
        reason = leaver.get_reason_display().lower()
        return f"Left a permanent post at {leaver.authority} on {leaver.left_on:%d/%m/%Y} ({reason})."

    @property
    def rule_short(self) -> str:
        return self.RULE_SHORT.get(self.rule, self.get_rule_display())

    @property
    def rule_explained(self) -> str:
        return self.RULE_EXPLAINED.get(self.rule, "")


class BreachCount(models.Model):
    """How many cases there are of each agency, authority, assignee and status: what the home page's worklist and
    the breach queue's tabs and page count read, a few thousand rows at most where counting the cases would read
    every one of them (200,000: bench/pages.py).

    Kept exactly by the statement triggers on `Breach` (`breach_counts_on_*`), in the transaction of the write, so a
    count always agrees with the cases committed (a page's count and list are two queries: a write committed between
    them can make them differ for that one page). Writes made with the triggers off (a bulk load under
    `session_replication_role = replica`) must be followed by `compliance.counts.breach_counts_rebuild()`.
    No foreign-key constraints: the rows are derived, and a count must never stop a user or agency row changing."""

    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    authority = models.ForeignKey(
        "region.Authority",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        "accounts.User",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    status = models.CharField(max_length=20, choices=Breach.Status.choices)
    n = models.IntegerField()

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT target: one row per group, a missing authority or assignee being a group.
            models.UniqueConstraint(
                fields=["agency", "authority", "assignee", "status"], nulls_distinct=False, name="one_breach_count"
            ),
        ]
        # The triggers' clearing of groups left at 0: found without reading the table.
        indexes = [models.Index(fields=["id"], condition=Q(n=0), name="breach_count_empty")]

    scope = Breach.scope


class OpenBreachCount(models.Model):
    """How many cases not yet resolved or dismissed were detected on each day, by agency and authority: the
    worklist's "open more than 30 days" is the open total less the open cases of the last 30 days, read here from a
    month of rows instead of the cases of two years. Kept by the same triggers as `BreachCount`."""

    detected_on = models.DateField()
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    authority = models.ForeignKey(
        "region.Authority",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    n = models.IntegerField()

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT target; by day first: the worklist reads the days since a date.
            models.UniqueConstraint(
                fields=["detected_on", "agency", "authority"], nulls_distinct=False, name="one_open_breach_count"
            ),
        ]
        indexes = [models.Index(fields=["id"], condition=Q(n=0), name="open_breach_count_empty")]

    scope = Breach.scope


class BreachLine(models.Model):
    """An offending timesheet line of a breach, with the arithmetic that makes it one."""

    # Written only by the audit, joined to rows that exist, and neither side can be deleted (triggers): the
    # foreign keys are declared without database constraints, which would cost a check per line at every commit.
    # The unique (breach, line) index serves lookups by breach.
    breach = models.ForeignKey(
        Breach, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    line = models.ForeignKey(
        "placements.TimesheetLine", on_delete=models.PROTECT, related_name="breach_lines", db_constraint=False
    )
    cap = models.DecimalField(max_digits=7, decimal_places=2)
    rate = models.DecimalField(max_digits=7, decimal_places=2)
    excess_per_hour = models.DecimalField(max_digits=7, decimal_places=2)
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    excess = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["line__date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["breach", "line"], name="one_breach_line_per_line"),
            models.CheckConstraint(
                condition=Q(excess_per_hour__gt=0, excess__gte=0), name="breach_line_excess_positive"
            ),
        ]

    scope = {"agency": "breach__agency", "authority": "breach__authority"}

    def __str__(self):
        return f"{self.hours} h at £{self.rate}/h over a £{self.cap}/h cap: £{self.excess}"


@pgtrigger.register(pgtrigger.Protect(name="breach_notes_are_never_deleted", operation=pgtrigger.Delete))
class BreachNote(models.Model):
    """A note or comment on a breach case by the coordinator, a council or the agency; part of its timeline."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    scope = {"agency": "breach__agency", "authority": "breach__authority"}

    def __str__(self):
        return f"Note on breach {self.breach_id} by {self.author}"


class CorrectiveActionQuerySet(models.QuerySet):
    def published(self):
        """Agreements past their draft: issued to the agency (and so signed, completed or lapsed since)."""
        return self.exclude(status=CorrectiveAction.Status.DRAFT)


@pghistory.track()
@pgtrigger.register(pgtrigger.Protect(name="corrective_actions_are_never_deleted", operation=pgtrigger.Delete))
class CorrectiveAction(models.Model):
    """An agreement with an agency, listing remedial actions with due dates, signed by the agency in the portal."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        SIGNED = "signed", "Signed"
        COMPLETED = "completed", "Completed"
        LAPSED = "lapsed", "Lapsed"

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="corrective_actions")
    breaches = models.ManyToManyField(Breach, related_name="corrective_actions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_name = models.CharField(max_length=120, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lapsed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["signed", "completed"])
                | Q(signed_at__isnull=False, signed_by__isnull=False) & ~Q(signed_name=""),
                name="signed_action_records_signature",
            ),
        ]

    objects = CorrectiveActionQuerySet.as_manager()

    # A draft is the coordinator's work in progress: tenants see an agreement once it is issued.
    scope = {"agency": "agency", "authority": "breaches__authority", "tenants_see": "published"}

    def __str__(self):
        return f"Corrective action {self.pk} with {self.agency}"


@pghistory.track()
class CorrectiveActionItem(models.Model):
    corrective_action = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="items")
    description = models.TextField()
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self):
        return f"{self.description} (due {self.due_on})"

    @property
    def done(self):
        return self.done_on is not None


@pghistory.track()
class Query(models.Model):
    """A question about the MoU from a social worker or an agency, and the coordinator's answer."""

    class Asker(models.TextChoices):
        SOCIAL_WORKER = "social_worker", "Social worker"
        AGENCY = "agency", "Agency"
        COUNCIL = "council", "Council"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        PORTAL = "portal", "Portal"

    asked_by_kind = models.CharField(max_length=20, choices=Asker.choices)
    asked_by_name = models.CharField(max_length=120)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="queries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200)
    question = models.TextField()
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = duplicate_of_field()

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name_plural = "queries"
        constraints = [
            # One query per intent: the same asker's subject and question (a double click on Ask) is one query.
            models.UniqueConstraint(
                "agency",
                "asked_by_name",
                "subject",
                MD5("question"),
                condition=Q(duplicate_of__isnull=True),
                nulls_distinct=False,
                name="one_query_per_intent",
            ),
        ]

    scope = {"agency": "agency"}

    def __str__(self):
        return self.subject
