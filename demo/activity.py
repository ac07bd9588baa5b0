"""What makes the loaded demo look like a region at work: the audit has run over its timesheets, and one agency has
a corrective action waiting for its signature. Both through the product's own services, and both safe to repeat."""

from dataclasses import dataclass
from datetime import date, timedelta

from accounts.models import User
from agencies.models import Agency
from compliance.audit import AuditBusy, audit_perform
from compliance.corrective_actions import ItemDraft, corrective_action_draft, corrective_action_issue
from compliance.models import AuditRun, Breach, CorrectiveAction
from demo.data import DEMO_USER_SPECS

# The demo agencies with a user to sign: the first one with open cases gets the agreement.
SIGNING_AGENCIES = [agency for _username, role, _code, agency, _sees in DEMO_USER_SPECS if role == "agency"]
CITED_CASES = 3


@dataclass
class Activity:
    audit: AuditRun | None = None
    audit_busy: str = ""
    corrective_action: CorrectiveAction | None = None
    corrective_action_new: bool = False


def bring_to_life(*, today: date, audit: bool) -> Activity:
    """Audit what was just loaded (`audit`: something was), and issue the demo's corrective action if it has none."""
    activity = Activity()
    if audit:
        run = AuditRun.objects.create(trigger="command")
        try:
            activity.audit = audit_perform(run_id=run.pk)
        except AuditBusy as busy:
            # A worker is auditing right now: it judges these lines too, and the next load issues the agreement.
            AuditRun.objects.filter(pk=run.pk).update(status=AuditRun.Status.FAILED, error=str(busy))
            activity.audit_busy = str(busy)
    activity.corrective_action, activity.corrective_action_new = _awaiting_signature(today=today)
    return activity


def _awaiting_signature(*, today: date) -> tuple[CorrectiveAction | None, bool]:
    """An issued agreement with a demo agency citing some of its open cases (none drafted if one exists already)."""
    agencies = list(Agency.objects.filter(name__in=SIGNING_AGENCIES))
    existing = CorrectiveAction.objects.filter(agency__in=agencies).order_by("id").first()
    if existing is not None:
        return existing, False
    coordinator = User.objects.filter(username="coordinator").first()
    for name in SIGNING_AGENCIES:
        agency = next((a for a in agencies if a.name == name), None)
        cases = list(
            Breach.objects.filter(agency=agency, status=Breach.Status.OPEN).order_by("-excess_amount", "id")[
                :CITED_CASES
            ]
        )
        if agency is None or not cases or coordinator is None:
            continue
        action = corrective_action_draft(
            agency=agency,
            breaches=cases,
            items=[
                ItemDraft(
                    description="Bring the pay rates of the placements cited back within the MoU's cap, and confirm "
                    "the new rates to each council in writing.",
                    due_on=today + timedelta(days=28),
                ),
                ItemDraft(
                    description="Refund each council the charges above the cap for the weeks cited.",
                    due_on=today + timedelta(days=56),
                ),
            ],
            summary=f"{agency.name} paid above the MoU's cap on the placements cited; it agrees to bring them "
            "within the cap and refund the excess.",
            by=coordinator,
        )
        return corrective_action_issue(action=action, by=coordinator), True
    return None, False
