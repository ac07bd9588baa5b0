"""Which MoU version binds a day of work, and which cap applies: the one place this lookup lives."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q

from mou.models import Cap, EngagementType, MouVersion, Role
from mou.rules import ZERO, excess_over, pay_for_cap
from mou.signals import JudgedWork


@dataclass(frozen=True)
class ApplicableCap:
    version: MouVersion
    cap: Cap | None  # None: the role is capped but this version sets no cap for it

    @property
    def max_pay_rate(self):
        return self.cap.max_pay_rate if self.cap else None

    @property
    def max_charge_rate(self):
        return self.cap.max_charge_rate if self.cap else None


def binding_version(*, started_on: date, worked_on: date) -> MouVersion | None:
    """The version that binds work on `worked_on` by a placement that started on `started_on` (None before 2015)."""
    return MouVersion.objects.binding(started_on=started_on, worked_on=worked_on).first()


def cap_for(*, role: Role, engagement_type: str | None, started_on: date, worked_on: date) -> ApplicableCap | None:
    """The cap that applies to a day of work: None for a role outside the MoU (`capped=False`) or before any version.

    A cap set for the placement's engagement type wins over the version's any-engagement cap for the role.
    """
    if not role.capped:
        return None
    version = binding_version(started_on=started_on, worked_on=worked_on)
    if version is None:
        return None
    cap = (
        Cap.objects.filter(version=version, role=role)
        .filter(Q(engagement_type=engagement_type) | Q(engagement_type__isnull=True))
        .order_by(F("engagement_type").asc(nulls_last=True))
        .first()
    )
    return ApplicableCap(version=version, cap=cap)


def latest_adopted_version() -> MouVersion | None:
    """What a new draft starts from: the latest adopted version (a scheduled one if any, else the one in force), so
    a draft never quietly undoes a change already agreed."""
    return (
        MouVersion.objects.published().exclude(status=MouVersion.Status.SUPERSEDED).order_by("-effective_from").first()
    )


def version_in_force(*, on: date) -> MouVersion | None:
    """The version in force on a day, for new work (a placement starting that day)."""
    return binding_version(started_on=on, worked_on=on)


@dataclass(frozen=True)
class CapCheck:
    """The answer to "is this rate within the cap?" for a role, engagement type and day (SPEC §7 `cap-check/`)."""

    applicable: ApplicableCap | None
    pay_excess: Decimal
    charge_excess: Decimal
    on_costs_counted: bool = False  # the version's pay cap compares pay plus on-costs (`mou.rules.pay_for_cap`)

    @property
    def within_cap(self) -> bool:
        return self.pay_excess == 0 and self.charge_excess == 0

    @property
    def mou_version(self):
        return self.applicable.version if self.applicable else None


def cap_check(
    *,
    role: Role,
    on: date,
    pay_rate: Decimal,
    charge_rate: Decimal | None = None,
    engagement_type: str | None = None,
    started_on: date | None = None,
    on_costs: Decimal | None = None,
) -> CapCheck:
    """Check hourly rates against the cap that binds work on `on` (for a placement starting that day unless
    `started_on` says otherwise). An uncapped role, or a day before any version, is always within the cap. Where the
    version's pay cap counts the employer's on-costs, `on_costs` (hourly) is added to the pay."""
    applicable = cap_for(role=role, engagement_type=engagement_type, started_on=started_on or on, worked_on=on)
    max_pay = applicable.max_pay_rate if applicable else None
    max_charge = applicable.max_charge_rate if applicable else None
    basis = applicable.version.cap_basis if applicable else MouVersion.CapBasis.PAY
    return CapCheck(
        applicable=applicable,
        pay_excess=excess_over(pay_for_cap(pay_rate=pay_rate, on_costs=on_costs, basis=basis), max_pay),
        charge_excess=excess_over(charge_rate, max_charge) if charge_rate is not None else ZERO,
        on_costs_counted=basis == MouVersion.CapBasis.PAY_AND_ON_COSTS,
    )


# --- The same rule for set-based SQL (the audit). Versions are few, so the binding version of a day of work is a
# CASE over the published versions, newest first: "the latest version with effective_from <= day and
# (effective_from <= start or binds_existing_from <= day)", exactly as MouVersionQuerySet.binding() says.
# tests/mou/test_binding_sql.py checks the two agree on every boundary.


def binding_version_sql(*, started_on: str, worked_on: str) -> tuple[str, list]:
    """A SQL expression giving the binding version's id for the SQL expressions `started_on` and `worked_on`
    (e.g. "p.start_date", "l.date"), with its parameters; NULL before the first version."""
    versions = list(
        MouVersion.objects.published()
        .order_by("-effective_from")
        .values_list("id", "effective_from", "binds_existing_from")
    )
    if not versions:
        return "NULL::bigint", []
    whens, params = [], []
    for version_id, effective_from, binds_existing_from in versions:
        whens.append(f"WHEN {worked_on} >= %s AND ({started_on} >= %s OR {worked_on} >= %s) THEN %s::bigint")
        params += [effective_from, effective_from, binds_existing_from, version_id]
    return "CASE " + " ".join(whens) + " END", params


# Each (version, capped role, engagement type) with the cap that applies to it: the engagement-specific cap where the
# version sets one, else the version's any-engagement cap for the role (as cap_for() chooses); and whether the
# version's pay cap counts the placement's on-costs with the pay (`mou.rules.pay_for_cap`).
EFFECTIVE_CAPS_SQL = """
    SELECT DISTINCT ON (c.version_id, c.role_id, e.engagement_type)
           c.version_id, c.role_id, e.engagement_type, c.max_pay_rate, c.max_charge_rate,
           v.cap_basis = 'pay_and_on_costs' AS counts_on_costs
      FROM mou_cap c
      JOIN mou_mouversion v ON v.id = c.version_id
      JOIN mou_role r ON r.id = c.role_id AND r.capped
     CROSS JOIN (VALUES {engagement_types}) AS e (engagement_type)
     WHERE c.engagement_type = e.engagement_type OR c.engagement_type IS NULL
     ORDER BY c.version_id, c.role_id, e.engagement_type, c.engagement_type NULLS LAST
""".format(engagement_types=", ".join(f"('{value}')" for value in EngagementType.values))


def judged_work_of(version: MouVersion, published) -> JudgedWork:
    """The work already recorded whose binding version may change when `version` takes its place among the adopted
    versions `published`: lines dated from its effective date until the next version binds existing placements, and
    placements started from its date until the next version takes effect. (Set-based and counted in SQL as the
    audit reads the same tables; see `binding_version_sql`.)"""
    following = min(
        (v for v in published if v.effective_from > version.effective_from and v.pk != version.pk),
        key=lambda v: v.effective_from,
        default=None,
    )
    day = timedelta(days=1)
    lines_until = following.binds_existing_from - day if following else None
    placements_until = following.effective_from - day if following else None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM placements_timesheetline
                     WHERE superseded_at IS NULL AND date >= %s AND (%s::date IS NULL OR date <= %s)),
                   (SELECT count(*) FROM placements_placement
                     WHERE start_date >= %s AND (%s::date IS NULL OR start_date <= %s))
            """,
            [
                version.effective_from,
                lines_until,
                lines_until,
                version.effective_from,
                placements_until,
                placements_until,
            ],
        )
        lines, placements = cursor.fetchone()
    return JudgedWork(
        reason=f"MoU version {version.name} adopted for work from {version.effective_from:%-d %B %Y}",
        lines_from=version.effective_from,
        lines_until=lines_until,
        placements_from=version.effective_from,
        placements_until=placements_until,
        lines=lines,
        placements=placements,
    )
