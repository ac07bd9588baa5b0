"""Writing the MoU (SPEC §3 MoU version): the roles the caps are set against; drafting a version with its caps, editing
a draft, bringing it into force.

History is never rewritten: a 2016 timesheet is judged by 2016's caps. So only a draft changes; bringing it into
force supersedes the version in force, in one transaction, and refuses what `mou.models` constraints forbid (one
published version per effective date, only the newest in force) with a message a coordinator can act on, rather
than a database error. Every write runs under a `pghistory.context` naming who did it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.permissions import require_coordinator
from futuresocial.history import changed_by
from mou.models import Cap, MouVersion, Role

Status = MouVersion.Status
VERSION_FIELDS = (
    "name",
    "effective_from",
    "binds_existing_from",
    "cooling_off_months",
    "min_experience_years",
    "notes",
)


@dataclass(frozen=True)
class CapInput:
    """One cap of a draft as sent: the role (by code or object), engagement type (None: any) and hourly maxima."""

    role: Role
    engagement_type: str | None
    max_pay_rate: Decimal
    max_charge_rate: Decimal | None = None


# --- Roles


@transaction.atomic
def role_create(*, code: str, name: str, capped: bool = True, by) -> Role:
    """Add a national job type. It lists after the existing ones (the roles' order is their seniority, most junior
    first); its code is fixed from now on."""
    require_coordinator(by, "add a role")
    if Role.objects.filter(code__iexact=code).exists():
        raise ValidationError({"code": f"There is already a role {code}."})
    last = Role.objects.aggregate(last=Max("rank"))["last"] or 0
    with changed_by(by, action="role added"):
        return Role.objects.create(code=code, name=name, capped=capped, rank=last + 1)


@transaction.atomic
def role_update(*, role: Role, by, **changes) -> Role:
    """Rename a role or move it in or out of the MoU (`capped`). Its code never changes: caps and placements refer
    to it."""
    require_coordinator(by, "change a role")
    if changes.get("code", role.code) != role.code:
        raise ValidationError({"code": "A role's code never changes: caps and placements refer to it."})
    changes.pop("code", None)
    for field, value in changes.items():
        setattr(role, field, value)
    with changed_by(by, action="role changed"):
        role.save(update_fields=list(changes) or None)
    return role


# --- Versions


def _refuse_unless_draft(version: MouVersion) -> None:
    if version.status != Status.DRAFT:
        raise ValidationError(
            f"{version.name} is {version.get_status_display().lower()}: a version that has been in force never "
            "changes (history is never rewritten). Draft a new version instead.",
            code="published",
        )


def _checked_caps(caps: list[CapInput]) -> list[CapInput]:
    """The caps of one version: each for a role within the MoU, at most one per role and engagement type, the
    charge cap (if any) not below the pay cap. Each problem names its cap ("cap 2 (SW, any engagement type): ...")."""
    problems, seen = [], set()
    for number, cap in enumerate(caps, start=1):
        where = f"cap {number} ({cap.role.code}, {cap.engagement_type or 'any engagement type'})"
        if not cap.role.capped:
            problems.append(f"{where}: {cap.role.code} is above team manager level, outside the MoU: it has no cap.")
        if (cap.role.pk, cap.engagement_type) in seen:
            problems.append(f"{where}: a second cap for the same role and engagement type.")
        seen.add((cap.role.pk, cap.engagement_type))
        if cap.max_pay_rate < 0:
            problems.append(f"{where}: a cap cannot be negative.")
        if cap.max_charge_rate is not None and cap.max_charge_rate < cap.max_pay_rate:
            problems.append(f"{where}: the charge-rate cap is below the pay-rate cap.")
    if problems:
        raise ValidationError({"caps": problems})
    return caps


def _checked_dates(*, effective_from: date, binds_existing_from: date) -> None:
    if binds_existing_from < effective_from:
        raise ValidationError(
            {"binds_existing_from": ["Existing placements cannot be bound before the version takes effect."]}
        )


def _name_is_free(name: str, *, version: MouVersion | None = None) -> None:
    others = MouVersion.objects.filter(name__iexact=name)
    if version is not None:
        others = others.exclude(pk=version.pk)
    if others.exists():
        raise ValidationError({"name": [f"There is already a version named {name}."]})


def _replace_caps(version: MouVersion, caps: list[CapInput]) -> None:
    version.caps.all().delete()
    Cap.objects.bulk_create(
        Cap(
            version=version,
            role=cap.role,
            engagement_type=cap.engagement_type,
            max_pay_rate=cap.max_pay_rate,
            max_charge_rate=cap.max_charge_rate,
        )
        for cap in caps
    )


@transaction.atomic
def mou_version_draft(
    *,
    name: str,
    effective_from: date,
    binds_existing_from: date | None = None,
    cooling_off_months: int = 12,
    min_experience_years: int = 0,
    notes: str = "",
    caps: list[CapInput],
    by,
) -> MouVersion:
    """A new draft version with its caps; `binds_existing_from` defaults to `effective_from`."""
    require_coordinator(by, "draft an MoU version")
    binds_existing_from = binds_existing_from or effective_from
    _name_is_free(name)
    _checked_dates(effective_from=effective_from, binds_existing_from=binds_existing_from)
    _checked_caps(caps)
    with changed_by(by, action="version drafted"):
        version = MouVersion.objects.create(
            name=name,
            effective_from=effective_from,
            binds_existing_from=binds_existing_from,
            cooling_off_months=cooling_off_months,
            min_experience_years=min_experience_years,
            notes=notes,
            status=Status.DRAFT,
        )
        _replace_caps(version, caps)
    return version


@transaction.atomic
def mou_version_update_draft(*, version: MouVersion, by, caps: list[CapInput] | None = None, **changes) -> MouVersion:
    """Change a draft: any of its fields, and its caps replaced as a whole when `caps` is given."""
    require_coordinator(by, "edit an MoU version")
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise ValueError(f"not fields of a version: {sorted(unknown)}")
    version = MouVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_unless_draft(version)
    if "name" in changes:
        _name_is_free(changes["name"], version=version)
    effective_from = changes.get("effective_from", version.effective_from)
    if "effective_from" in changes and "binds_existing_from" not in changes:
        # Moving the start moves the binding date with it unless the draft said otherwise.
        if version.binds_existing_from == version.effective_from:
            changes["binds_existing_from"] = effective_from
    _checked_dates(
        effective_from=effective_from,
        binds_existing_from=changes.get("binds_existing_from", version.binds_existing_from),
    )
    if caps is not None:
        _checked_caps(caps)
    with changed_by(by, action="draft version edited"):
        for field, value in changes.items():
            setattr(version, field, value)
        if changes:
            version.save(update_fields=list(changes))
        if caps is not None:
            _replace_caps(version, caps)
    return version


@transaction.atomic
def mou_version_bring_into_force(version: MouVersion, *, by, today: date | None = None) -> MouVersion:
    """Bring a draft into force: it becomes `in_force` and the version in force until now `superseded`.

    Refused (ValidationError, nothing changed) unless the draft has caps, takes effect after the version in force,
    and takes effect today: not earlier, since history is never rewritten (work already done stays judged by the
    version that bound it), and not later, since exactly one version is in force on any date (SPEC §3) and until its
    date that is still the current one. Until then the draft stays a draft, and its what-if shows its effect.
    """
    require_coordinator(by, "bring an MoU version into force")
    today = today or timezone.localdate()
    # The published versions and the draft, locked: two coordinators bringing versions into force at once queue.
    locked = {
        v.pk: v for v in MouVersion.objects.select_for_update().filter(Q(pk=version.pk) | ~Q(status=Status.DRAFT))
    }
    version = locked[version.pk]
    if version.status != Status.DRAFT:
        raise ValidationError(
            f"{version.name} is already {version.get_status_display().lower()}: only a draft can be brought into "
            "force.",
            code="not_draft",
        )
    if not version.caps.exists():
        raise ValidationError(f"{version.name} has no caps: give it its caps before bringing it into force.", "no_caps")
    if version.effective_from < today:
        raise ValidationError(
            f"{version.name} would take effect on {version.effective_from:%-d %B %Y}, in the past: work already done "
            "stays judged by the version that bound it (history is never rewritten). Give the draft an effective "
            "date of today or later.",
            code="in_the_past",
        )
    published = sorted((v for v in locked.values() if v.pk != version.pk), key=lambda v: v.effective_from)
    latest = published[-1] if published else None
    if latest is not None and version.effective_from <= latest.effective_from:
        raise ValidationError(
            f"{version.name} would take effect on {version.effective_from:%-d %B %Y}, not after {latest.name} "
            f"({latest.get_status_display().lower()}, effective from {latest.effective_from:%-d %B %Y}): a new "
            "version must take effect after the one in force.",
            code="not_after_in_force",
        )
    if version.effective_from > today:
        raise ValidationError(
            f"{version.name} takes effect on {version.effective_from:%-d %B %Y}: bring it into force on that day. "
            "Until then the version in force stays in force, and the draft's what-if shows what it would change.",
            code="not_yet",
        )
    try:
        with changed_by(by, action="version brought into force"), transaction.atomic():
            MouVersion.objects.filter(status=Status.IN_FORCE).update(status=Status.SUPERSEDED)
            version.status = Status.IN_FORCE
            version.save(update_fields=["status"])
    except IntegrityError:
        # Another version came into force between our lock and our write (it was a draft when we locked).
        raise ValidationError(
            "Another version was brought into force at the same moment: reload and try again.", code="conflict"
        ) from None
    return version
