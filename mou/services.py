"""Writing the MoU (SPEC §3 MoU version): the roles the caps are set against; drafting a version with its caps, editing
or discarding a draft, adopting it (the API's `bring-into-force`), and the daily step that brings a scheduled version
into force on its date.

History is never rewritten: a 2016 timesheet is judged by 2016's caps. So only a draft changes. Adopting one gives it
its place by its date (in force today, scheduled for later, recorded for the past) and every adopted version its
status by date, in one transaction; it refuses what `mou.models` constraints forbid (one adopted version per
effective date, only one in force) and dates that would contradict the adopted ones, with a message a coordinator
can act on rather than a database error. Work already recorded that the version binds is announced to the audit
(`mou.signals.judging_changed`), which judges it again. Every write runs under a `pghistory.context` naming who did
it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.permissions import require_coordinator
from futuresocial.history import changed_by
from mou.models import Cap, MouVersion, Role
from mou.selectors import judged_work_of
from mou.signals import JudgedWork

Status = MouVersion.Status
VERSION_FIELDS = (
    "name",
    "effective_from",
    "binds_existing_from",
    "cooling_off_months",
    "min_experience_years",
    "cap_basis",
    "min_references",
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
    """Make the draft's caps exactly `caps`: a cap whose figures change is updated, a new one created, one no longer
    there deleted (a draft's), so the version's history shows what changed, not every cap again."""
    existing = {(cap.role_id, cap.engagement_type): cap for cap in version.caps.all()}
    wanted = {(cap.role.pk, cap.engagement_type): cap for cap in caps}
    Cap.objects.filter(pk__in=[cap.pk for key, cap in existing.items() if key not in wanted]).delete()
    for key, cap in wanted.items():
        current = existing.get(key)
        if current is None:
            Cap.objects.create(
                version=version,
                role=cap.role,
                engagement_type=cap.engagement_type,
                max_pay_rate=cap.max_pay_rate,
                max_charge_rate=cap.max_charge_rate,
            )
        elif (current.max_pay_rate, current.max_charge_rate) != (cap.max_pay_rate, cap.max_charge_rate):
            current.max_pay_rate, current.max_charge_rate = cap.max_pay_rate, cap.max_charge_rate
            current.save(update_fields=["max_pay_rate", "max_charge_rate"])


@transaction.atomic
def mou_version_draft(
    *,
    name: str,
    effective_from: date,
    binds_existing_from: date | None = None,
    cooling_off_months: int = 12,
    min_experience_years: int = 0,
    cap_basis: str = MouVersion.CapBasis.PAY,
    min_references: int = 0,
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
            cap_basis=cap_basis,
            min_references=min_references,
            notes=notes,
            status=Status.DRAFT,
        )
        _replace_caps(version, caps)
    return version


@transaction.atomic
def mou_version_draft_from(source: MouVersion, *, by, today: date | None = None) -> MouVersion:
    """A new draft copying `source`'s terms and caps (the coordinator's usual start: the version in force), taking
    effect on the first day of next month until the coordinator says otherwise."""
    today = today or timezone.localdate()
    first_of_next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    name, number = f"Draft from {source.name}", 2
    while MouVersion.objects.filter(name__iexact=name).exists():
        name, number = f"Draft from {source.name} ({number})", number + 1
    return mou_version_draft(
        name=name[:120],
        effective_from=first_of_next_month,
        cooling_off_months=source.cooling_off_months,
        min_experience_years=source.min_experience_years,
        cap_basis=source.cap_basis,
        min_references=source.min_references,
        notes=f"Started from {source.name}.",
        caps=[
            CapInput(
                role=cap.role,
                engagement_type=cap.engagement_type,
                max_pay_rate=cap.max_pay_rate,
                max_charge_rate=cap.max_charge_rate,
            )
            for cap in source.caps.select_related("role").filter(role__capped=True)
        ],
        by=by,
    )


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
def mou_version_discard_draft(*, version: MouVersion, by) -> None:
    """Throw a draft away (it bound nothing). An adopted version is never deleted: history is never rewritten."""
    require_coordinator(by, "discard an MoU version")
    version = MouVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_unless_draft(version)
    with changed_by(by, action="draft discarded"):
        version.caps.all().delete()
        version.delete()


def _format(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _neighbours(version: MouVersion, published: list[MouVersion]) -> tuple[MouVersion | None, MouVersion | None]:
    """The adopted versions just before and just after `version`'s date."""
    before = [v for v in published if v.effective_from < version.effective_from]
    after = [v for v in published if v.effective_from > version.effective_from]
    return (before[-1] if before else None), (after[0] if after else None)


def _refuse_unless_it_fits(version: MouVersion, published: list[MouVersion]) -> None:
    """Exactly one version binds any day of work: the draft takes a date no adopted version has, and its dates
    interleave with theirs (a version binds existing placements before the next one takes effect)."""
    same_day = next((v for v in published if v.effective_from == version.effective_from), None)
    if same_day is not None:
        raise ValidationError(
            f"{same_day.name} ({same_day.get_status_display().lower()}) already takes effect on "
            f"{_format(version.effective_from)}: exactly one version binds any day of work. Give the draft another "
            "date, or correct the record by drafting a version with a date of its own.",
            code="same_date",
        )
    previous, following = _neighbours(version, published)
    if previous is not None and previous.binds_existing_from >= version.effective_from:
        raise ValidationError(
            f"{previous.name} binds existing placements only from {_format(previous.binds_existing_from)}, after "
            f"{version.name} would take effect ({_format(version.effective_from)}): its dates contradict the "
            f"published ones. Give the draft an effective date after {_format(previous.binds_existing_from)}.",
            code="contradicts_published",
        )
    if following is not None and version.binds_existing_from >= following.effective_from:
        raise ValidationError(
            {
                "binds_existing_from": [
                    f"{version.name} would bind existing placements from {_format(version.binds_existing_from)}, "
                    f"but {following.name} takes effect on {_format(following.effective_from)}: its dates "
                    "contradict the published ones. Bind existing placements from a date before "
                    f"{_format(following.effective_from)}."
                ]
            },
            code="contradicts_published",
        )


def statuses_by_date(published: list[MouVersion], *, today: date) -> dict[int, str]:
    """The status each adopted version has on `today`: the latest to have taken effect is in force, those before it
    superseded, those still to come scheduled."""
    started = [v for v in published if v.effective_from <= today]
    current = max(started, key=lambda v: v.effective_from) if started else None
    return {
        v.pk: Status.SCHEDULED if v.effective_from > today else (Status.IN_FORCE if v is current else Status.SUPERSEDED)
        for v in published
    }


def _settle(published: list[MouVersion], *, today: date) -> list[MouVersion]:
    """Give each adopted version its status by date; returns the versions changed. The one leaving `in_force` moves
    first, so the database's "one version in force" holds at every statement."""
    wanted = statuses_by_date(published, today=today)
    changed = [v for v in published if v.status != wanted[v.pk]]
    for version in sorted(changed, key=lambda v: wanted[v.pk] == Status.IN_FORCE):
        version.status = wanted[version.pk]
        version.save(update_fields=["status"])
    return changed


@dataclass(frozen=True)
class Adoption:
    """What adopting a draft does: the status it takes (`in_force` now, `scheduled` for a later date, or a place in
    the history, `superseded`, for the past), the version it supersedes, and the work already recorded whose judging
    it changes, to be judged again by the next audit (`judged_work`)."""

    version: MouVersion
    outcome: str  # "in_force", "scheduled" or "recorded"
    status: str
    supersedes: MouVersion | None
    judged_work: JudgedWork
    followed_by: MouVersion | None = None  # the adopted version after it, which binds work from its own date

    @property
    def supersedes_id(self) -> int | None:
        return self.supersedes.pk if self.supersedes else None

    @property
    def summary(self) -> str:
        name, day = self.version.name, _format(self.version.effective_from)
        if self.outcome == "scheduled":
            text = f"{name} is scheduled: it binds work from {day} and comes into force that day by itself."
        elif self.outcome == "in_force":
            text = f"{name} is in force from today ({day})" + (
                f"; {self.supersedes.name} is superseded." if self.supersedes else "."
            )
        elif self.status == Status.IN_FORCE:
            text = f"{name} is recorded from {day} and is the version in force" + (
                f"; {self.supersedes.name} is superseded." if self.supersedes else "."
            )
        else:
            later = f"{self.followed_by.name} took effect" if self.followed_by else "a later version took effect"
            text = f"{name} is recorded in the MoU's history: it bound work from {day} until {later}."
        work = self.judged_work
        if work.lines or work.placements:
            text += (
                f" {work.lines:,} timesheet line{'s' if work.lines != 1 else ''} and {work.placements:,} "
                f"placement{'s' if work.placements != 1 else ''} already recorded will be judged again by it."
            )
        return text


def adoption_preview(version: MouVersion, *, today: date | None = None) -> Adoption:
    """What adopting the draft `version` would do, or the ValidationError that refuses it (nothing changes)."""
    today = today or timezone.localdate()
    published = list(MouVersion.objects.published().order_by("effective_from"))
    return _adoption(version, published, today=today)


def _adoption(version: MouVersion, published: list[MouVersion], *, today: date) -> Adoption:
    if version.status != Status.DRAFT:
        raise ValidationError(
            f"{version.name} is already {version.get_status_display().lower()}: only a draft can be adopted.",
            code="not_draft",
        )
    if not version.caps.exists():
        raise ValidationError(f"{version.name} has no caps: give it its caps before adopting it.", code="no_caps")
    others = [v for v in published if v.pk != version.pk]
    _refuse_unless_it_fits(version, others)
    status = statuses_by_date([*others, version], today=today)[version.pk]
    day = version.effective_from
    outcome = "scheduled" if day > today else ("in_force" if day == today else "recorded")
    in_force = next((v for v in others if v.status == Status.IN_FORCE), None)
    return Adoption(
        version=version,
        outcome=outcome,
        status=status,
        supersedes=in_force if status == Status.IN_FORCE else None,
        judged_work=judged_work_of(version, others),
        followed_by=_neighbours(version, others)[1],
    )


@transaction.atomic
def mou_version_bring_into_force(version: MouVersion, *, by, today: date | None = None, reason: str = "") -> Adoption:
    """Adopt a draft (the API's `bring-into-force`), by its effective date:

    - today: it is in force at once, the version in force until now superseded;
    - later: it is `scheduled`; it binds work from its date (the cap check and the audit use it for those days) and
      comes into force on that day by itself (`mou_versions_settle`, run by beat just after midnight);
    - in the past: it takes its place in the MoU's history (onboarding a region's earlier versions, correcting the
      record), `superseded` if a later version has taken effect since.

    Refused (ValidationError, nothing changed) for a version that is not a draft, has no caps, shares its date with
    an adopted version, or whose dates contradict theirs. Work already recorded that the version now binds (or stops
    binding) is judged again by the next audit (`judging_changed`, queued when this commits).
    """
    require_coordinator(by, "adopt an MoU version")
    today = today or timezone.localdate()
    # The adopted versions and the draft, locked: two coordinators adopting versions at once queue.
    locked = MouVersion.objects.select_for_update().filter(Q(pk=version.pk) | ~Q(status=Status.DRAFT))
    locked = sorted(locked, key=lambda v: v.effective_from)
    version = next(v for v in locked if v.pk == version.pk)
    adoption = _adoption(version, locked, today=today)
    action = {"in_force": "version brought into force", "scheduled": "version scheduled"}.get(
        adoption.outcome, "version recorded for the past"
    )
    try:
        with changed_by(by, action=action, **({"reason": reason} if reason else {})), transaction.atomic():
            _settle(locked, today=today)
    except IntegrityError:
        # Another version was adopted for the same date between our lock and our write (it was a draft when locked).
        raise ValidationError(
            "Another version was adopted for the same date at the same moment: reload and try again.", code="conflict"
        ) from None
    if adoption.judged_work.lines or adoption.judged_work.placements:
        adoption.judged_work.announce(by=by)
    return adoption


@transaction.atomic
def mou_versions_settle(*, today: date | None = None) -> list[MouVersion]:
    """Beat's daily step (idempotent): a scheduled version whose date has come is in force, its predecessor
    superseded. Returns the versions whose status changed."""
    today = today or timezone.localdate()
    published = list(MouVersion.objects.select_for_update().published().order_by("effective_from"))
    with changed_by(None, action="scheduled version came into force"):
        return _settle(published, today=today)
