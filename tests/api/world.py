"""A small region with a row of every kind the API serves, at two authorities (Solihull S, Coventry C) and for two
agencies (A, B): the data of the scoping matrix, the query counts and the fuzzing.

`build_world` returns the objects by name ("placement A@S", "breach B@C", ...) so that a test can say exactly which
ones each persona should get back. Called again with another `copy`, it adds the same again (new workers, weeks,
versions and periods), so a list grows without changing its shape.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from agencies.models import Suspension
from compliance.corrective_actions import ItemDraft, corrective_action_draft, corrective_action_issue
from compliance.models import AuditRun, Breach
from mou.models import MouVersion
from placements.models import ProjectTeam, ProjectTeamMember, Reference
from tests.factories import (
    AuditRunFactory,
    BreachFactory,
    CapExceptionFactory,
    CapFactory,
    MouVersionFactory,
    PermanentLeaverFactory,
    PlacementFactory,
    SuspensionFactory,
    TimesheetFactory,
    TimesheetLineFactory,
    WorkforceReturnFactory,
    role,
)

WEEK_ENDING = date(2025, 6, 1)  # a Sunday


def build_world(*, coordinator, agency_a, agency_b, solihull, coventry, copy: int = 0) -> dict:
    world = {}
    agencies = {"A": agency_a, "B": agency_b}
    authorities = {"S": solihull, "C": coventry}
    today = timezone.localdate()

    # MoU versions: the first copy has the one in force; every copy a superseded one and a draft, with caps.
    versions = {
        "superseded": MouVersionFactory(
            name=f"Superseded {copy}", effective_from=date(2015, 1, 1) + timedelta(days=copy), status="superseded"
        ),
        "draft": MouVersionFactory(
            name=f"Draft {copy}", effective_from=today + timedelta(days=400 + copy), status="draft"
        ),
    }
    if copy == 0:
        versions["in_force"] = MouVersionFactory(
            name="In force", effective_from=date(2025, 4, 1), status=MouVersion.Status.IN_FORCE
        )
    for key, version in versions.items():
        CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("32.00"), max_charge_rate=Decimal("42.00"))
        CapFactory(version=version, role=role("TM"), max_pay_rate=Decimal("40.00"), max_charge_rate=None)
        world[f"mou-version {key} {copy}"] = version
    binding = MouVersion.objects.get(status=MouVersion.Status.IN_FORCE)

    for t, place in authorities.items():
        world[f"permanent-leaver {t}"] = PermanentLeaverFactory(authority=place, left_on=date(2024, 1, 1 + copy % 28))
        world[f"workforce-return {t}"] = WorkforceReturnFactory(authority=place, period_end=date(2024 - copy, 9, 30))
    world["audit-run"] = AuditRunFactory(status=AuditRun.Status.FINISHED, trigger="nightly", progress=100)

    for a, agency in agencies.items():
        for t, place in authorities.items():
            name = f"{a}@{t}"
            placement = PlacementFactory(
                agency=agency, authority=place, start_date=date(2025, 4, 7), pay_rate=Decimal("34.00")
            )
            world[f"placement {name}"] = placement
            team = ProjectTeam.objects.create(
                authority=place,
                agency=agency,
                name=f"Team {name} {copy}",
                service="Assessments",
                cost_of_service=Decimal("100000.00"),
                approved_by="A. Director",
                approved_on=date(2025, 1, 6),
            )
            ProjectTeamMember.objects.create(team=team, worker=placement.worker, role=role("SW"), cost=Decimal("1.00"))
            world[f"project-team {name}"] = team
            Reference.objects.create(
                placement=placement,
                referee="R. Referee",
                referee_role="Manager",
                organisation="X",
                given_on=date(2025, 1, 6),
            )
            world[f"cap-exception {name}"] = CapExceptionFactory(placement=placement)
            timesheet = TimesheetFactory(placement=placement, week_ending=WEEK_ENDING)
            for day in (WEEK_ENDING - timedelta(days=6), WEEK_ENDING - timedelta(days=5)):
                TimesheetLineFactory(
                    timesheet=timesheet,
                    date=day,
                    hours=Decimal("7.50"),
                    pay_rate=Decimal("34.00"),
                    charge_rate=Decimal("45.00"),
                )
            world[f"timesheet {name}"] = timesheet
            world[f"breach {name}"] = BreachFactory(
                placement=placement,
                rule=Breach.Rule.PAY_RATE_ABOVE_CAP,
                mou_version=binding,
                cap_amount=Decimal("32.00"),
                excess_hours=Decimal("15.00"),
                excess_amount=Decimal("30.00"),
                lines_count=2,
                assignee=coordinator,
            )

    items = [ItemDraft("Repay the excess of £30.00", today + timedelta(days=30))]
    world["corrective-action A@S"] = corrective_action_issue(
        action=corrective_action_draft(agency=agency_a, breaches=[world["breach A@S"]], items=items, by=coordinator),
        by=coordinator,
    )
    world["corrective-action B@C"] = corrective_action_issue(
        action=corrective_action_draft(agency=agency_b, breaches=[world["breach B@C"]], items=items, by=coordinator),
        by=coordinator,
    )
    world["corrective-action draft A@C"] = corrective_action_draft(
        agency=agency_a, breaches=[world["breach A@C"]], items=items, by=coordinator
    )

    for a, agency in agencies.items():
        starts = date(2019 - copy, 1, 1)
        world[f"suspension {a}"] = SuspensionFactory(
            agency=agency,
            kind=Suspension.Kind.TEMPORARY,
            starts_on=starts,
            ends_on=starts + timedelta(days=90),
            reason="Paid above the cap after a corrective action",
            imposed_by=coordinator,
            breaches=[world[f"breach {a}@S"], world[f"breach {a}@C"]],
        )
    return world
