"""The breach services (SPEC §3 Breach): status moves allowed and refused, dismissal with a reason, assignment to
coordinators, bulk changes all-or-nothing, manual reports by a coordinator or a council, notes, and the history
they leave."""

from decimal import Decimal

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

import pytest
from pghistory.models import Events

from compliance.breaches import (
    TRANSITIONS,
    breach_assign,
    breach_note_add,
    breach_report_manual,
    breach_set_severity,
    breach_set_status,
    breaches_bulk_assign,
    breaches_bulk_set_status,
)
from compliance.models import Breach, BreachNote
from tests.factories import BreachFactory, MouVersionFactory, PlacementFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Breach.Status
ALLOWED = sorted((old, new) for old, moves in TRANSITIONS.items() for new in moves)
REFUSED = sorted((old, new) for old in S.values for new in S.values if new != old and new not in TRANSITIONS[old])


@pytest.fixture
def case(agency_a, solihull):
    return BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("37.50"))


# --- Status moves


def test_the_allowed_moves_are_those_of_the_spec_and_their_sensible_back_moves():
    assert ALLOWED == sorted(
        [
            ("corrective_action", "escalated"),
            ("corrective_action", "resolved"),
            ("corrective_action", "under_review"),
            ("dismissed", "open"),
            ("escalated", "corrective_action"),
            ("escalated", "resolved"),
            ("escalated", "under_review"),
            ("open", "corrective_action"),
            ("open", "dismissed"),
            ("open", "escalated"),
            ("open", "under_review"),
            ("resolved", "open"),
            ("under_review", "corrective_action"),
            ("under_review", "dismissed"),
            ("under_review", "escalated"),
            ("under_review", "open"),
            ("under_review", "resolved"),
        ]
    )


@pytest.mark.parametrize("old, new", ALLOWED)
def test_each_allowed_move_is_made(old, new, coordinator, agency_a, solihull):
    case = BreachFactory(placement__agency=agency_a, placement__authority=solihull, status=old)
    breach_set_status(breach=case, status=new, by=coordinator, reason="Checked with the council")
    case.refresh_from_db()
    assert case.status == new
    assert (case.closed_at is not None) == (new in (S.RESOLVED, S.DISMISSED))


@pytest.mark.parametrize("old, new", REFUSED)
def test_each_move_not_allowed_is_refused_and_changes_nothing(old, new, coordinator, agency_a, solihull):
    case = BreachFactory(placement__agency=agency_a, placement__authority=solihull, status=old)
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=case, status=new, by=coordinator, reason="Because")
    assert f"cannot move from {S(old).label.lower()} to {S(new).label.lower()}" in refused.value.messages[0]
    case.refresh_from_db()
    assert case.status == old


def test_an_open_case_cannot_be_resolved_without_a_review(coordinator, case):
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=case, status=S.RESOLVED, by=coordinator)
    assert refused.value.message_dict == {
        "status": [
            f"Breach {case.pk} cannot move from open to resolved: from open it can move to under review, "
            "corrective action, dismissed or escalated to suspension."
        ]
    }


def test_a_case_under_corrective_action_cannot_be_dismissed(coordinator, agency_a, solihull):
    case = BreachFactory(placement__agency=agency_a, placement__authority=solihull, status=S.CORRECTIVE_ACTION)
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=case, status=S.DISMISSED, by=coordinator, reason="Changed my mind")
    assert refused.value.messages == [
        f"Breach {case.pk} cannot move from corrective action to dismissed: from corrective action it can "
        "move to resolved, escalated to suspension or under review."
    ]


def test_a_move_to_the_status_it_has_is_refused(coordinator, case):
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=case, status=S.OPEN, by=coordinator)
    assert refused.value.messages == [f"Breach {case.pk} is already open."]


def test_an_unknown_status_is_refused(coordinator, case):
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=case, status="closed", by=coordinator)
    assert refused.value.message_dict["status"] == [
        '"closed" is not a breach status: use one of open, under_review, corrective_action, resolved, dismissed '
        "or escalated."
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_dismissing_without_a_reason_is_refused_and_nothing_changes(reason, coordinator, case):
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=case, status=S.DISMISSED, by=coordinator, reason=reason)
    assert refused.value.message_dict == {
        "reason": [f"Dismissing breach {case.pk} needs a reason (e.g. a duplicate, or the work was covered)."]
    }
    case.refresh_from_db()
    assert (case.status, case.dismissed_reason, case.closed_at) == ("open", "", None)
    assert not BreachNote.objects.exists()


def test_dismissing_keeps_the_reason_and_closes_the_case(coordinator, case):
    breach_set_status(breach=case, status=S.DISMISSED, by=coordinator, reason="  Covered by a cap exception  ")
    case.refresh_from_db()
    assert (case.status, case.dismissed_reason) == ("dismissed", "Covered by a cap exception")
    assert case.closed_at is not None


def test_reopening_a_dismissed_case_clears_its_closing_and_reason(coordinator, case):
    breach_set_status(breach=case, status=S.DISMISSED, by=coordinator, reason="Duplicate")
    breach_set_status(breach=case, status=S.OPEN, by=coordinator, note="The duplicate was a different worker")
    case.refresh_from_db()
    assert (case.status, case.dismissed_reason, case.closed_at) == ("open", "", None)
    assert list(case.notes.values_list("text", flat=True)) == ["The duplicate was a different worker"]


def test_a_reason_for_a_move_other_than_dismissal_joins_the_timeline(coordinator, case):
    breach_set_status(breach=case, status=S.CORRECTIVE_ACTION, by=coordinator, reason="Cited by corrective action 5")
    note = case.notes.get()
    assert (note.author, note.text) == (coordinator, "Cited by corrective action 5")


def test_the_service_moves_the_callers_copy_too(coordinator, case):
    returned = breach_set_status(breach=case, status=S.UNDER_REVIEW, by=coordinator)
    assert returned is case and case.status == "under_review"


def test_a_stale_copy_is_judged_by_the_status_in_the_database(coordinator, case):
    stale = Breach.objects.get(pk=case.pk)
    breach_set_status(breach=case, status=S.DISMISSED, by=coordinator, reason="Duplicate")
    with pytest.raises(ValidationError) as refused:
        breach_set_status(breach=stale, status=S.UNDER_REVIEW, by=coordinator)
    assert refused.value.messages[0].startswith(f"Breach {case.pk} cannot move from dismissed to under review")


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_moves_a_case(persona, request, case):
    with pytest.raises(PermissionDenied, match="Only the workforce coordinator can change a breach's status."):
        breach_set_status(breach=case, status=S.UNDER_REVIEW, by=request.getfixturevalue(persona))
    case.refresh_from_db()
    assert case.status == "open"


def test_a_move_outside_a_request_records_who_made_it(coordinator, case):
    breach_set_status(breach=case, status=S.UNDER_REVIEW, by=coordinator)
    event = Events.objects.tracks(case).order_by("-pgh_id").first()
    assert event.pgh_diff["status"] == ["open", "under_review"]
    assert event.pgh_context["user"] == coordinator.pk


# --- Assignee and severity


def test_a_case_is_assigned_to_a_coordinator_and_back_to_nobody(coordinator, case):
    colleague = UserFactory(username="coordinator2", role="coordinator")
    breach_assign(breach=case, assignee=colleague, by=coordinator)
    case.refresh_from_db()
    assert case.assignee == colleague
    breach_assign(breach=case, assignee=None, by=coordinator)
    case.refresh_from_db()
    assert case.assignee is None


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_a_case_is_assigned_to_coordinators_only(persona, request, coordinator, case):
    someone = request.getfixturevalue(persona)
    with pytest.raises(ValidationError) as refused:
        breach_assign(breach=case, assignee=someone, by=coordinator)
    assert refused.value.message_dict == {
        "assignee": [
            f"{someone.username} is not a workforce coordinator: breach cases are assigned to coordinators only."
        ]
    }
    case.refresh_from_db()
    assert case.assignee is None


def test_a_former_coordinator_is_not_given_cases(coordinator, case):
    gone = UserFactory(username="retired", role="coordinator", is_active=False)
    with pytest.raises(ValidationError):
        breach_assign(breach=case, assignee=gone, by=coordinator)


def test_only_the_coordinator_assigns(analyst, coordinator, case):
    with pytest.raises(PermissionDenied):
        breach_assign(breach=case, assignee=coordinator, by=analyst)


def test_the_coordinator_marks_a_case_serious(coordinator, case):
    breach_set_severity(breach=case, severity=Breach.Severity.SERIOUS, by=coordinator)
    case.refresh_from_db()
    assert case.severity == "serious"


def test_an_unknown_severity_is_refused(coordinator, case):
    with pytest.raises(ValidationError) as refused:
        breach_set_severity(breach=case, severity="grave", by=coordinator)
    assert refused.value.message_dict == {"severity": ['"grave" is not a severity: use minor or serious.']}


# --- Bulk


@pytest.fixture
def three(agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    return [
        BreachFactory(placement=placement, status=S.OPEN),
        BreachFactory(placement=placement, status=S.UNDER_REVIEW, rule=Breach.Rule.CHARGE_RATE_ABOVE_CAP),
        BreachFactory(placement=placement, status=S.RESOLVED, rule=Breach.Rule.COOLING_OFF),
    ]


def test_a_bulk_move_is_all_or_nothing_and_names_each_case_that_cannot_move(coordinator, three):
    with pytest.raises(ValidationError) as refused:
        breaches_bulk_set_status(breaches=three, status=S.UNDER_REVIEW, by=coordinator)
    assert refused.value.messages == [
        "Nothing was changed: 1 of the 3 cases cannot move.",
        f"Breach {three[2].pk} cannot move from resolved to under review: from resolved it can move to open.",
    ]
    assert [b.status for b in Breach.objects.order_by("pk")] == ["open", "under_review", "resolved"]


def test_a_bulk_move_moves_every_case_and_leaves_those_already_there(coordinator, three):
    result = breaches_bulk_set_status(breaches=three[:2], status=S.UNDER_REVIEW, by=coordinator)
    assert (result["moved"], result["unchanged"]) == ([three[0]], [three[1]])
    assert [b.status for b in Breach.objects.order_by("pk")] == ["under_review", "under_review", "resolved"]


def test_a_bulk_dismissal_needs_a_reason_for_every_case(coordinator, three):
    with pytest.raises(ValidationError) as refused:
        breaches_bulk_set_status(breaches=three[:2], status=S.DISMISSED, by=coordinator)
    assert refused.value.messages[0] == "Nothing was changed: 2 of the 2 cases cannot move."
    assert [b.status for b in Breach.objects.order_by("pk")] == ["open", "under_review", "resolved"]
    breaches_bulk_set_status(breaches=three[:2], status=S.DISMISSED, by=coordinator, reason="Duplicates")
    assert list(Breach.objects.order_by("pk").values_list("dismissed_reason", flat=True)) == [
        "Duplicates",
        "Duplicates",
        "",
    ]


def test_a_bulk_assignment_refuses_closed_cases_and_assigns_none(coordinator, three):
    with pytest.raises(ValidationError) as refused:
        breaches_bulk_assign(breaches=three, assignee=coordinator, by=coordinator)
    assert refused.value.messages == [
        "Nothing was changed: 1 of the 3 cases are closed.",
        f"Breach {three[2].pk} is resolved: reopen it before assigning it.",
    ]
    assert not Breach.objects.filter(assignee__isnull=False).exists()


def test_a_bulk_assignment_gives_every_case_to_the_coordinator(coordinator, three):
    result = breaches_bulk_assign(breaches=three[:2], assignee=coordinator, by=coordinator)
    assert len(result["moved"]) == 2
    assert Breach.objects.filter(assignee=coordinator).count() == 2


def test_a_bulk_assignment_to_someone_not_a_coordinator_is_refused(coordinator, analyst, three):
    with pytest.raises(ValidationError) as refused:
        breaches_bulk_assign(breaches=three[:2], assignee=analyst, by=coordinator)
    assert list(refused.value.message_dict) == ["assignee"]


# --- Manual reports


def test_a_council_reports_a_breach_at_its_authority_and_the_coordinator_is_told(
    council_user, coordinator, agency_a, solihull, django_capture_on_commit_callbacks
):
    coordinator.email = "coordinator@wm.example"
    coordinator.save()
    version = MouVersionFactory(name="Agency Protocol 2025", status="in_force")
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    with django_capture_on_commit_callbacks(execute=True):
        case = breach_report_manual(
            agency=agency_a,
            placement=placement,
            description="  Approached our team manager in post with an offer.  ",
            severity="serious",
            by=council_user,
        )
    assert (case.rule, case.source, case.status, case.severity) == ("manual", "manual", "open", "serious")
    assert (case.agency, case.authority, case.placement, case.reported_by) == (
        agency_a,
        solihull,
        placement,
        council_user,
    )
    assert (case.description, case.mou_version) == ("Approached our team manager in post with an offer.", version)
    assert [m.to for m in mail.outbox] == [["coordinator@wm.example"]]
    assert mail.outbox[0].subject == f"Breach {case.pk} reported by Solihull: Alpha Locums Ltd"
    assert f"/breaches/{case.pk}/" in mail.outbox[0].body


def test_a_council_cannot_report_a_breach_on_another_authoritys_placement(council_user, agency_a, coventry):
    elsewhere = PlacementFactory(agency=agency_a, authority=coventry)
    with pytest.raises(ValidationError) as refused:
        breach_report_manual(agency=agency_a, placement=elsewhere, description="x", severity="minor", by=council_user)
    assert refused.value.message_dict == {
        "placement": [f"Placement {elsewhere.pk} is not a placement at your authority."]
    }
    assert not Breach.objects.exists()


def test_a_council_report_without_a_placement_sits_at_its_authority(council_user, agency_b, solihull):
    case = breach_report_manual(agency=agency_b, description="Poached a worker", severity="minor", by=council_user)
    assert (case.authority, case.placement) == (solihull, None)


def test_the_coordinator_reports_a_breach_of_any_agency(coordinator, agency_b, coventry):
    placement = PlacementFactory(agency=agency_b, authority=coventry)
    case = breach_report_manual(agency=agency_b, placement=placement, description="Offered £45/h", by=coordinator)
    assert (case.authority, case.severity, case.reported_by) == (coventry, "minor", coordinator)
    loose = breach_report_manual(agency=agency_b, description="Offered £45/h to a worker", by=coordinator)
    assert loose.authority is None


def test_a_report_naming_a_placement_of_another_agency_is_refused(coordinator, agency_a, agency_b):
    placement = PlacementFactory(agency=agency_b)
    with pytest.raises(ValidationError) as refused:
        breach_report_manual(agency=agency_a, placement=placement, description="x", by=coordinator)
    assert refused.value.message_dict == {
        "placement": [f"Placement {placement.pk} is with Beta Social Care Staffing Ltd, not Alpha Locums Ltd."]
    }


def test_a_report_needs_a_description(coordinator, agency_a):
    with pytest.raises(ValidationError) as refused:
        breach_report_manual(agency=agency_a, description="   ", by=coordinator)
    assert refused.value.message_dict == {
        "description": ["Say what happened: who, when, and which part of the MoU it goes against."]
    }


@pytest.mark.parametrize("persona", ["analyst", "agency_user"])
def test_analysts_and_agencies_do_not_report_breaches(persona, request, agency_a):
    with pytest.raises(PermissionDenied):
        breach_report_manual(agency=agency_a, description="x", by=request.getfixturevalue(persona))


# --- Notes


@pytest.mark.parametrize("persona", ["coordinator", "council_user", "agency_user"])
def test_the_coordinator_the_council_and_the_agency_add_notes(persona, request, case):
    author = request.getfixturevalue(persona)
    note = breach_note_add(breach=case, text=" We repaid the excess on 3 March. ", by=author)
    assert (note.author, note.text) == (author, "We repaid the excess on 3 March.")


@pytest.mark.parametrize("persona", ["analyst", "other_council_user", "other_agency_user"])
def test_others_do_not_add_notes(persona, request, case):
    with pytest.raises(PermissionDenied):
        breach_note_add(breach=case, text="Hello", by=request.getfixturevalue(persona))
    assert not BreachNote.objects.exists()


def test_an_empty_note_is_refused(coordinator, case):
    with pytest.raises(ValidationError):
        breach_note_add(breach=case, text="  ", by=coordinator)


def test_an_agencys_note_is_emailed_to_the_coordinator_on_the_case(
    coordinator, agency_user, case, django_capture_on_commit_callbacks
):
    coordinator.email = "coordinator@wm.example"
    coordinator.save()
    breach_assign(breach=case, assignee=coordinator, by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        breach_note_add(breach=case, text="We repaid the excess.", by=agency_user)
        breach_note_add(breach=case, text="Thank you.", by=coordinator)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["coordinator@wm.example"], f"Breach {case.pk}: a note from Alpha Locums Ltd")
    ]
    assert "We repaid the excess." in mail.outbox[0].body


def test_every_rule_has_its_short_name_and_its_explanation():
    """The compliance dashboard's chart names each rule by RULE_SHORT (a KeyError for a rule without one) and the
    case's page explains it by RULE_EXPLAINED."""
    from compliance.models import Breach

    assert set(Breach.RULE_SHORT) == set(Breach.Rule.values)
    assert set(Breach.RULE_EXPLAINED) == set(Breach.Rule.values)
