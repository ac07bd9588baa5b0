"""A council's quarterly return to the Department for Education on its agency workers (SPEC §1, §5), built from the
data: one function, `dfe_return(authority=..., quarter=...)`, six queries whatever the size of the council.

What each section holds, and the choices behind it:

- **placements**: every placement at the authority active in the quarter (started by its last day, not ended before
  its first): role type, agreed hourly pay (and charge), start and end dates, the worker's Social Work England
  registration number, the project-team flag and the agency.
- **breaches**: the breach cases at the authority that belong to the quarter: detected in it, with offending
  work (a current timesheet line) dated in it, or of a rule judged at the start on a placement that started in it.
  With the excess £ of the offending work in the quarter beside the case's total. A dismissed case was not a breach
  after all: it is left out (and so out of the agencies).
- **sign_offs**: the cap exceptions on the authority's placements whose validity overlaps the quarter, with the
  director of children's services' and the chief executive's signatures: the work they cover was above the cap and
  is reported, not treated as a breach (SPEC §4).
- **agencies**: the agencies whose behaviour affected compliance at the authority in the quarter: those with a
  breach case there in the quarter (as above), and those suspended at any time in the quarter
  (`Suspension.objects.overlapping`) while they had a placement there active in it.
- **monthly_costs**: for each month of the quarter, the hours and the total cost (charge rate × hours; pay too)
  of the current timesheet lines (a resubmitted week's replaced lines are history and don't count) of the
  authority's placements.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from agencies.models import Agency, Suspension
from compliance.models import Breach, BreachLine
from futuresocial.money import PENNY
from placements.models import CapException, Placement, TimesheetLine
from region.models import Authority

QUARTER_FORMAT = re.compile(r"^(\d{4})-Q([1-4])$")


class BadQuarter(ValueError):
    pass


class UnknownAuthority(LookupError):
    pass


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: `2025-Q1` is January to March 2025."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = QUARTER_FORMAT.match((text or "").strip().upper())
        if not match:
            raise BadQuarter(f"“{text}” is not a quarter: give it as YYYY-QN, e.g. 2025-Q1 (January to March 2025).")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_complete(cls, today: date | None = None) -> "Quarter":
        """The latest quarter that has ended: the one a council returns now."""
        return cls.containing(today or timezone.localdate()).previous()

    @classmethod
    def returnable(cls, text: str, *, today: date | None = None) -> "Quarter":
        """A quarter a return can be made for: well formed and begun (the current quarter gives a partial return)."""
        quarter = cls.parse(text)
        if quarter < FIRST_QUARTER:
            raise BadQuarter(
                f"{quarter} is before the Agency Protocol began: choose a quarter from {FIRST_QUARTER} "
                f"(January to March {FIRST_QUARTER.year}) on."
            )
        if quarter > cls.containing(today or timezone.localdate()):
            raise BadQuarter(f"{quarter} has not begun yet: choose a quarter up to the current one.")
        return quarter

    def previous(self) -> "Quarter":
        return Quarter(self.year, self.number - 1) if self.number > 1 else Quarter(self.year - 1, 4)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        following = date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)
        return following - timedelta(days=1)

    @property
    def months(self) -> list[date]:
        return [date(self.year, 3 * self.number - 2 + offset, 1) for offset in range(3)]

    def __str__(self):
        return f"{self.year:04d}-Q{self.number}"


FIRST_QUARTER = Quarter(2015, 1)  # the Agency Protocol began in January 2015: no return before it


# Each section's columns: (key in the JSON and the rows, heading in the CSV and XLSX).
SECTIONS = {
    "placements": (
        "Placements",
        [
            ("placement", "Placement"),
            ("worker_swe_number", "Worker registration number (SWE)"),
            ("role", "Role type"),
            ("role_name", "Role"),
            ("engagement_type", "Engagement type"),
            ("agency", "Agency"),
            ("agency_company_number", "Agency company number"),
            ("hourly_pay", "Hourly pay (£)"),
            ("hourly_charge", "Hourly charge (£)"),
            ("start_date", "Start date"),
            ("end_date", "End date"),
            ("project_team", "Project team"),
        ],
    ),
    "breaches": (
        "Breaches",
        [
            ("breach", "Breach case"),
            ("rule", "Rule"),
            ("rule_label", "What it is"),
            ("status", "Status"),
            ("severity", "Severity"),
            ("agency", "Agency"),
            ("placement", "Placement"),
            ("worker_swe_number", "Worker registration number (SWE)"),
            ("detected_on", "Detected on"),
            ("mou_version", "MoU version"),
            ("cap", "Cap (£/h)"),
            ("excess_in_quarter", "Excess in the quarter (£)"),
            ("excess_total", "Total excess of the case (£)"),
            ("description", "Description"),
        ],
    ),
    "sign_offs": (
        "Sign-offs",
        [
            ("cap_exception", "Cap exception"),
            ("placement", "Placement"),
            ("worker_swe_number", "Worker registration number (SWE)"),
            ("role", "Role type"),
            ("agency", "Agency"),
            ("hourly_pay", "Hourly pay (£)"),
            ("signed_by_dcs", "Signed by (director of children's services)"),
            ("signed_by_chief_executive", "Signed by (chief executive)"),
            ("reason", "Reason"),
            ("valid_from", "Valid from"),
            ("valid_until", "Valid until"),
        ],
    ),
    "agencies": (
        "Agencies affecting compliance",
        [
            ("agency", "Agency"),
            ("company_number", "Company number"),
            ("standing", "Standing now"),
            ("breaches", "Breach cases in the quarter"),
            ("excess_in_quarter", "Excess in the quarter (£)"),
            ("suspensions", "Suspended in the quarter"),
            ("why", "Why listed"),
        ],
    ),
    "monthly_costs": (
        "Monthly cost",
        [
            ("month", "Month"),
            ("placements", "Placements with work"),
            ("hours", "Hours"),
            ("pay_total", "Pay (£)"),
            ("total_cost", "Total cost (£)"),
        ],
    ),
    "compliance": (
        "Compliance with each rule",
        [
            ("rule", "Rule"),
            ("rule_label", "What it is"),
            ("complied", "Complied"),
            ("placements", "Placements in breach"),
            ("reasons", "Reasons"),
        ],
    ),
}


# The placements section's keys and where each comes from.
PLACEMENT_FIELDS = {
    "placement": "id",
    "worker_swe_number": "worker__swe_number",
    "role": "role__code",
    "role_name": "role__name",
    "engagement_type": "engagement_type",
    "agency": "agency__name",
    "agency_company_number": "agency__company_number",
    "hourly_pay": "pay_rate",
    "hourly_charge": "charge_rate",
    "start_date": "start_date",
    "end_date": "end_date",
    "project_team": "project_team",
}


@dataclass
class DfeReturn:
    authority: Authority
    quarter: Quarter
    placements: list[dict]
    breaches: list[dict]
    sign_offs: list[dict]
    agencies: list[dict]
    monthly_costs: list[dict]
    compliance: list[dict] = None
    generated_at: object = None
    filed: object = None  # the FiledReturn these figures are the snapshot of (dfe.selectors.as_filed); None: live

    @property
    def period_start(self):
        return self.quarter.first_day

    @property
    def period_end(self):
        return self.quarter.last_day

    @property
    def total_cost(self):
        return sum((month["total_cost"] for month in self.monthly_costs), Decimal("0.00"))

    def section(self, key) -> tuple[str, list[str], list[list]]:
        """A section as (title, headings, rows of values in column order) for the page, the CSV and the XLSX: a
        flag as "yes" or "no" (the JSON keeps true and false)."""
        title, columns = SECTIONS[key]
        rows = getattr(self, key)
        return title, [heading for _, heading in columns], [[_shown(row[name]) for name, _ in columns] for row in rows]


def _shown(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return value


def authorities_for(user):
    """The authorities whose return `user` may read: a council its own, the coordinator and analysts all of them."""
    if user.is_regional:
        return Authority.objects.order_by("name")
    if user.is_council:
        return Authority.objects.filter(pk=user.authority_id)
    return Authority.objects.none()


def authority_by_code(code: str, *, user) -> Authority | None:
    """The authority whose return `user` asks for, by ONS code (E08000029) or DfE LA code (334): None when it is
    one whose return `user` may not read; `UnknownAuthority` when no authority has that code."""
    code = code.strip().upper()
    named = Q(code=code) | Q(la_code=code)
    authority = authorities_for(user).filter(named).first()
    if authority is None and not Authority.objects.filter(named).exists():
        raise UnknownAuthority(f"Unknown authority “{code}”.")
    return authority


def breaches_in(*, authority: Authority, quarter: Quarter, dismissed: bool = False):
    """The authority's breach cases of the quarter: detected in it, with offending work dated in it, or (a rule
    judged at the placement's start: suspended agency, cooling-off, experience, references, project team) on a
    placement that started in it, however late the audit found it. Not the dismissed ones (a case dismissed was not a
    breach) unless `dismissed`: their reasons are the return's too."""
    lines_in_quarter = BreachLine.objects.filter(
        breach=OuterRef("pk"),
        line__date__range=(quarter.first_day, quarter.last_day),
        line__superseded_at__isnull=True,
    )
    cases = Breach.objects.filter(authority=authority)
    if not dismissed:
        cases = cases.exclude(status=Breach.Status.DISMISSED)
    days = (quarter.first_day, quarter.last_day)
    started_in_quarter = Q(rule__in=Breach.RULES_AT_THE_START, placement__start_date__range=days)
    return cases.filter(Q(detected_at__date__range=days) | Exists(lines_in_quarter) | started_in_quarter)


def dfe_return(*, authority: Authority, quarter: Quarter) -> DfeReturn:
    """The return of `authority` for `quarter`. Six queries: one per section, and the agencies' details."""
    first, last = quarter.first_day, quarter.last_day
    rows = (
        Placement.objects.filter(authority=authority)
        .active_between(first, last)
        .order_by("start_date", "id")
        .values_list(*PLACEMENT_FIELDS.values())
    )
    placements = [dict(zip(PLACEMENT_FIELDS, row, strict=True)) for row in rows]

    in_quarter = Q(lines__line__date__range=(first, last), lines__line__superseded_at__isnull=True)
    breach_rows = list(
        breaches_in(authority=authority, quarter=quarter, dismissed=True)
        .annotate(excess_in_quarter=Coalesce(Sum("lines__excess", filter=in_quarter), Decimal("0.00")))
        .select_related("agency", "placement__worker", "mou_version")
        .order_by("detected_at", "id")
    )
    breaches = [
        {
            "breach": breach.pk,
            "rule": breach.rule,
            "rule_label": breach.get_rule_display(),
            "status": breach.status,
            "severity": breach.severity,
            "agency": breach.agency.name,
            "agency_id": breach.agency_id,
            "placement": breach.placement_id,
            "worker_swe_number": breach.placement.worker.swe_number if breach.placement else None,
            "detected_on": timezone.localdate(breach.detected_at),
            "mou_version": breach.mou_version.name if breach.mou_version else None,
            "cap": breach.cap_amount,
            "excess_in_quarter": breach.excess_in_quarter,
            "excess_total": breach.excess_amount,
            "description": breach.description,
            "dismissed_reason": breach.dismissed_reason,
        }
        for breach in breach_rows
    ]
    dismissed = [breach for breach in breaches if breach["status"] == Breach.Status.DISMISSED]
    breaches = [breach for breach in breaches if breach["status"] != Breach.Status.DISMISSED]

    sign_offs = [
        {
            "cap_exception": exception.pk,
            "placement": exception.placement_id,
            "worker_swe_number": exception.placement.worker.swe_number,
            "role": exception.placement.role.code,
            "agency": exception.placement.agency.name,
            "hourly_pay": exception.placement.pay_rate,
            "signed_by_dcs": exception.signed_by_dcs,
            "signed_by_chief_executive": exception.signed_by_chief_executive,
            "reason": exception.reason,
            "valid_from": exception.valid_from,
            "valid_until": exception.valid_until,
        }
        for exception in CapException.objects.filter(
            placement__authority=authority, valid_from__lte=last, valid_until__gte=first
        )
        .select_related("placement__worker", "placement__role", "placement__agency")
        .order_by("valid_from", "id")
    ]

    agencies = _agencies(authority=authority, quarter=quarter, breaches=breaches)
    compliance = _compliance(breaches=breaches, dismissed=dismissed, sign_offs=sign_offs)
    return DfeReturn(
        authority=authority,
        quarter=quarter,
        placements=placements,
        breaches=breaches,
        sign_offs=sign_offs,
        agencies=agencies,
        monthly_costs=_monthly_costs(authority=authority, quarter=quarter),
        compliance=compliance,
        generated_at=timezone.now(),
    )


# The rules the return reports compliance with, in the order of SPEC §4.
RULES = [rule for rule in Breach.Rule if rule != Breach.Rule.MANUAL]
CAP_RULES = {Breach.Rule.PAY_RATE_ABOVE_CAP, Breach.Rule.CHARGE_RATE_ABOVE_CAP}


def _compliance(*, breaches, dismissed, sign_offs) -> list[dict]:
    """One entry per rule: complied when no case of the quarter breaks it; the placements that did; the reasons
    (each case, each case dismissed with its reason, and for the caps each sign-off that allowed pay above them)."""
    entries = []
    for rule in RULES:
        cases = [breach for breach in breaches if breach["rule"] == rule]
        reasons = [
            f"Case {case['breach']} ({case['agency']}, {case['worker_swe_number'] or 'no placement'}): "
            + (
                f"£{case['excess_in_quarter']} above the cap in the quarter"
                if rule in CAP_RULES
                else (case["description"] or rule.label)
            )
            for case in cases
        ]
        reasons += [
            f"Case {case['breach']} dismissed: {case['dismissed_reason']}" for case in dismissed if case["rule"] == rule
        ]
        if rule in CAP_RULES:
            reasons += [
                f"Cap exception {sign_off['cap_exception']} ({sign_off['worker_swe_number']}, {sign_off['agency']}) "
                f"signed by {sign_off['signed_by_dcs']} and {sign_off['signed_by_chief_executive']}: "
                f"{sign_off['reason']}"
                for sign_off in sign_offs
            ]
        entries.append(
            {
                "rule": str(rule),
                "rule_label": rule.label,
                "complied": not cases,
                "placements": len({case["placement"] for case in cases if case["placement"]}),
                "reasons": reasons,
            }
        )
    return entries


def _agencies(*, authority, quarter, breaches) -> list[dict]:
    """Agencies with a breach case of the quarter at the authority, or suspended (or removed) in the quarter while
    supplying it. Two queries: the suspensions, then the agencies."""
    first, last = quarter.first_day, quarter.last_day
    supplying = Placement.objects.filter(authority=authority).active_between(first, last).values("agency_id")
    suspensions = list(
        Suspension.objects.overlapping(first, last).filter(agency_id__in=supplying).order_by("starts_on", "id")
    )
    by_agency = {}
    for breach in breaches:
        entry = by_agency.setdefault(breach["agency_id"], {"breaches": 0, "excess": Decimal("0.00"), "susp": []})
        entry["breaches"] += 1
        entry["excess"] += breach["excess_in_quarter"]
    for suspension in suspensions:
        entry = by_agency.setdefault(suspension.agency_id, {"breaches": 0, "excess": Decimal("0.00"), "susp": []})
        entry["susp"].append(_describe(suspension))
    rows = []
    for agency in Agency.objects.filter(pk__in=by_agency).order_by("name"):
        entry = by_agency[agency.pk]
        why = []
        if entry["breaches"]:
            why.append("breaches at the authority")
        if entry["susp"]:
            why.append("suspended")
        rows.append(
            {
                "agency": agency.name,
                "agency_id": agency.pk,
                "company_number": agency.company_number,
                "standing": agency.standing,
                "breaches": entry["breaches"],
                "excess_in_quarter": entry["excess"],
                "suspensions": "; ".join(entry["susp"]),
                "why": " and ".join(why),
            }
        )
    return rows


def _describe(suspension: Suspension) -> str:
    until = suspension.lifted_on or suspension.ends_on
    span = f"from {suspension.starts_on:%d/%m/%Y}" + (f" until {until:%d/%m/%Y}" if until else " (ongoing)")
    return f"{suspension.get_kind_display()} {span}: {suspension.reason}"


def _monthly_costs(*, authority, quarter) -> list[dict]:
    """Hours and cost by month of the authority's current timesheet lines; a month with no work is a row of zeros."""
    # Lines are found through the authority's placements (placement_id index), then by date.
    totals = {
        row["month"]: row
        for row in TimesheetLine.objects.current()
        .filter(
            placement__authority=authority,
            date__range=(quarter.first_day, quarter.last_day),
        )
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(
            placements_worked=Count("placement_id", distinct=True),
            hours_worked=Sum("hours"),
            pay=Sum(F("hours") * F("pay_rate")),
            cost=Sum(F("hours") * F("charge_rate")),
        )
        .order_by("month")
    }
    zero = Decimal("0.00")
    rows = []
    for month in quarter.months:
        found = totals.get(month, {})
        rows.append(
            {
                "month": f"{month:%Y-%m}",
                "placements": found.get("placements_worked", 0),
                "hours": found.get("hours_worked") or zero,
                "pay_total": (found.get("pay") or zero).quantize(PENNY),
                "total_cost": (found.get("cost") or zero).quantize(PENNY),
            }
        )
    return rows
