"""Which MoU version binds a day of work, and which cap applies: the one place this lookup lives."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q

from mou.models import Cap, MouVersion, Role
from mou.rules import ZERO, excess_over


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


def version_in_force(*, on: date) -> MouVersion | None:
    """The version in force on a day, for new work (a placement starting that day)."""
    return binding_version(started_on=on, worked_on=on)


@dataclass(frozen=True)
class CapCheck:
    """The answer to "is this rate within the cap?" for a role, engagement type and day (SPEC §7 `cap-check/`)."""

    applicable: ApplicableCap | None
    pay_excess: Decimal
    charge_excess: Decimal

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
) -> CapCheck:
    """Check hourly rates against the cap that binds work on `on` (for a placement starting that day unless
    `started_on` says otherwise). An uncapped role, or a day before any version, is always within the cap."""
    applicable = cap_for(role=role, engagement_type=engagement_type, started_on=started_on or on, worked_on=on)
    max_pay = applicable.max_pay_rate if applicable else None
    max_charge = applicable.max_charge_rate if applicable else None
    return CapCheck(
        applicable=applicable,
        pay_excess=excess_over(pay_rate, max_pay),
        charge_excess=excess_over(charge_rate, max_charge) if charge_rate is not None else ZERO,
    )
