"""Suspensions (SPEC §3): imposing, their effects on placements (portal and API), emails, ending by themselves on
their date, lifting early, and removal, which is for good."""

import html
import re
from datetime import timedelta

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

import pytest

from accounts.models import User
from agencies.models import Agency, Suspension
from agencies.selectors import suspension_state
from agencies.services import agency_remove, agency_standing_sync, suspension_lift
from agencies.tasks import end_temporary_suspensions
from compliance.models import Breach, BreachNote
from compliance.suspensions import agency_suspend
from placements.models import Placement
from tests.api.test_reference_api import token_client
from tests.factories import BreachFactory, PlacementFactory, SuspensionFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "Charged above the cap on three placements after a written warning."


def today():
    return timezone.localdate()


def days(n):
    return today() + timedelta(days=n)


def text(response):
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


@pytest.fixture
def people(coordinator, council_user, other_council_user, agency_user, other_agency_user, agency_a, solihull):
    """Everyone with an email address, and a few who must never be emailed about agency_a."""
    for user, email in [
        (coordinator, "coordinator@wm.example"),
        (council_user, "workforce@solihull.example"),
        (other_council_user, "workforce@coventry.example"),
        (agency_user, "compliance@alpha.example"),
        (other_agency_user, "office@beta.example"),
    ]:
        user.email = email
        user.save(update_fields=["email"])
    UserFactory(username="solihull2", role=User.Role.COUNCIL, authority=solihull, email="hr@solihull.example")
    UserFactory(username="no-email", role=User.Role.COUNCIL, authority=solihull, email="")
    UserFactory(
        username="gone", role=User.Role.COUNCIL, authority=solihull, email="gone@solihull.example", is_active=False
    )
    UserFactory(username="alpha2", role=User.Role.AGENCY, agency=agency_a, email="director@alpha.example")
    agency_a.contact_email = "info@alpha.example"
    agency_a.save(update_fields=["contact_email"])
    return coordinator


def suspend(agency, by, **overrides):
    values = {"kind": Suspension.Kind.TEMPORARY, "starts_on": today(), "ends_on": days(90), "reason": REASON}
    return agency_suspend(agency=agency, by=by, **{**values, **overrides})


def standing(agency):
    agency.refresh_from_db()
    return agency.standing


# --- Imposing


def test_a_suspension_from_today_suspends_the_agency_at_once(coordinator, agency_a, agency_b):
    suspension = suspend(agency_a, coordinator)
    assert (standing(agency_a), standing(agency_b)) == ("suspended", "approved")
    assert (suspension.imposed_by, suspension.lifted_on, suspension.is_active_on(today())) == (coordinator, None, True)


def test_cited_breaches_still_being_worked_on_are_escalated_with_a_note(coordinator, agency_a):
    open_case = BreachFactory(placement__agency=agency_a)
    reviewed = BreachFactory(placement__agency=agency_a, status=Breach.Status.UNDER_REVIEW)
    resolved = BreachFactory(placement__agency=agency_a, status=Breach.Status.RESOLVED)
    suspension = suspend(agency_a, coordinator, breaches=[open_case, reviewed, resolved])
    assert set(suspension.breaches.all()) == {open_case, reviewed, resolved}
    statuses = dict(Breach.objects.values_list("pk", "status"))
    assert statuses == {open_case.pk: "escalated", reviewed.pk: "escalated", resolved.pk: "resolved"}
    note = BreachNote.objects.get(breach=open_case)
    assert (note.author, note.text) == (
        coordinator,
        f"Cited in the temporary suspension of Alpha Locums Ltd from {today():%d %B %Y}.",
    )


def test_every_council_user_and_the_agency_are_emailed(people, agency_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        suspend(agency_a, people, ends_on=days(30))
    assert sorted(m.to[0] for m in mail.outbox) == [
        "compliance@alpha.example",
        "director@alpha.example",
        "hr@solihull.example",
        "info@alpha.example",
        "workforce@coventry.example",
        "workforce@solihull.example",
    ]
    message = mail.outbox[0]
    assert message.subject == "Alpha Locums Ltd is suspended under the Agency Protocol"
    assert f"Suspension: temporary, from {today():%-d %B %Y} to {days(30):%-d %B %Y}" in message.body
    assert f"Why: {REASON}" in message.body
    assert "cannot register new placements" in message.body


def test_nobody_is_emailed_when_the_suspension_is_refused(people, agency_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        suspend(agency_a, people, ends_on=None)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"ends_on": None}, "ends_on", "A temporary suspension needs the date it ends."),
        (
            {"kind": "ongoing"},
            "ends_on",
            "An ongoing suspension lasts until it is lifted: leave the end date empty, or choose temporary.",
        ),
        ({"ends_on": "today"}, "ends_on", "The end date must be after the start ({start})."),
        (
            {"starts_on": "yesterday"},
            "starts_on",
            "A suspension starts today ({start}) or later: the past standing stays as it was.",
        ),
        ({"reason": "  "}, "reason", "Say why the agency is suspended: the agency and every council read it."),
    ],
)
def test_a_suspension_is_refused_with_a_message_beside_the_field(coordinator, agency_a, overrides, field, message):
    overrides = {k: {"today": today(), "yesterday": days(-1)}.get(v, v) for k, v in overrides.items()}
    with pytest.raises(ValidationError) as refused:
        suspend(agency_a, coordinator, **overrides)
    assert refused.value.message_dict == {field: [message.format(start=f"{today():%d %B %Y}")]}
    assert (Suspension.objects.count(), standing(agency_a)) == (0, "approved")


def test_an_ongoing_suspension_has_no_end(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator, kind="ongoing", ends_on=None)
    assert (suspension.ends_on, standing(agency_a)) == (None, "suspended")
    assert agency_standing_sync(today=days(3650)).changed == 0
    assert standing(agency_a) == "suspended"


def test_a_second_suspension_overlapping_the_first_is_refused(coordinator, agency_a):
    suspend(agency_a, coordinator, ends_on=days(30))
    with pytest.raises(ValidationError) as refused:
        suspend(agency_a, coordinator, kind="ongoing", starts_on=days(29), ends_on=None)
    assert refused.value.messages == [
        f"Alpha Locums Ltd already has a suspension from {today():%d %B %Y} to {days(30):%d %B %Y}; "
        "lift it first or choose dates that do not overlap it."
    ]
    follow_on = suspend(agency_a, coordinator, kind="ongoing", starts_on=days(30), ends_on=None)
    assert follow_on.starts_on == days(30)


def test_only_the_agencys_own_breaches_may_be_cited(coordinator, agency_a, agency_b):
    other = BreachFactory(placement__agency=agency_b)
    with pytest.raises(ValidationError) as refused:
        suspend(agency_a, coordinator, breaches=[BreachFactory(placement__agency=agency_a), other])
    assert refused.value.message_dict == {
        "breaches": [f"Breach cases {other.pk} are not Alpha Locums Ltd's: cite only its own cases."]
    }
    assert other.__class__.objects.get(pk=other.pk).status == "open"


def test_a_dismissed_breach_cannot_ground_a_suspension(coordinator, agency_a):
    dismissed = BreachFactory(
        placement__agency=agency_a, status=Breach.Status.DISMISSED, dismissed_reason="A duplicate report"
    )
    with pytest.raises(ValidationError) as refused:
        suspend(agency_a, coordinator, breaches=[dismissed])
    assert refused.value.message_dict == {
        "breaches": [f"Breach cases {dismissed.pk} were dismissed and cannot ground a suspension."]
    }


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_suspends(persona, request, agency_a):
    with pytest.raises(PermissionDenied):
        suspend(agency_a, request.getfixturevalue(persona))
    assert standing(agency_a) == "approved"


# --- Effects on placements, pages and API alike


def test_a_suspended_agency_cannot_register_a_placement_through_the_api(coordinator, agency_user, agency_a):
    suspend(agency_a, coordinator, ends_on=days(60))
    response = token_client(agency_user).post(
        "/api/v1/placements/",
        {
            "authority": "E08000029",
            "role": "SW",
            "engagement_type": "paye",
            "worker_swe_number": "SW765432",
            "start_date": days(1).isoformat(),
            "pay_rate": "30.00",
            "charge_rate": "40.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "agency": [
            f"Alpha Locums Ltd is suspended until {days(60):%d %B %Y} and cannot register new placements. "
            f"Reason: {REASON}"
        ]
    }
    assert not Placement.objects.exists()


def test_a_suspended_agency_cannot_register_a_placement_through_the_portal(
    client, coordinator, agency_user, agency_a, solihull
):
    suspend(agency_a, coordinator, kind="ongoing", ends_on=None)
    client.force_login(agency_user)
    refusal = f"Alpha Locums Ltd is suspended and cannot register new placements. Reason: {REASON}"
    assert refusal in text(client.get("/placements/new/"))
    response = client.post(
        "/placements/new/",
        {
            "authority": str(solihull.pk),
            "role": "SW",
            "engagement_type": "paye",
            "worker_swe_number": "SW700123",
            "start_date": days(1).isoformat(),
            "pay_rate": "22.00",
            "on_costs": "4.10",
            "charge_rate": "29.50",
        },
    )
    assert response.status_code == 403
    assert refusal in text(response)
    assert not Placement.objects.exists()


def test_existing_placements_run_on_and_are_flagged(client, coordinator, council_user, agency_user, agency_a):
    running = PlacementFactory(agency=agency_a, start_date=days(-100))
    suspend(agency_a, coordinator)
    for user in (agency_user, council_user):
        client.force_login(user)
        assert "agency suspended: existing placement runs on" in text(client.get("/placements/"))
    api = token_client(council_user).get("/api/v1/placements/").json()
    assert [p["id"] for p in api["results"]] == [running.pk]


# --- The daily standing check


def test_a_temporary_suspension_ends_by_itself_on_its_date_and_a_second_run_changes_nothing(
    people, agency_a, django_capture_on_commit_callbacks
):
    suspension = suspend(agency_a, people, ends_on=days(14))
    mail.outbox.clear()
    assert agency_standing_sync(today=days(13)).changed == 0
    assert standing(agency_a) == "suspended"
    with django_capture_on_commit_callbacks(execute=True):
        result = agency_standing_sync(today=days(14))
    assert (result.approved, result.suspended) == ([agency_a], [])
    assert standing(agency_a) == "approved"
    suspension.refresh_from_db()
    assert (suspension.lifted_on, suspension.lifted_by) == (None, None)  # ended by date, not lifted
    assert len(mail.outbox) == 6
    assert mail.outbox[0].subject == "The suspension of Alpha Locums Ltd has ended"
    assert f"ended on its date, {days(14):%-d %B %Y}." in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert agency_standing_sync(today=days(14)).changed == 0
        assert agency_standing_sync(today=days(15)).changed == 0
    assert (standing(agency_a), len(mail.outbox)) == ("approved", 6)


def test_the_beat_task_ends_a_suspension_whose_date_is_today(coordinator, agency_a, agency_b):
    # Imposed long ago (before today's rule that a suspension starts today or later), ending today.
    SuspensionFactory(
        agency=agency_a, kind="temporary", starts_on=days(-30), ends_on=today(), reason=REASON, imposed_by=coordinator
    )
    Agency.objects.filter(pk=agency_a.pk).update(standing=Agency.Standing.SUSPENDED)
    assert end_temporary_suspensions() == {"suspended": [], "approved": [agency_a.pk]}
    assert end_temporary_suspensions() == {"suspended": [], "approved": []}
    assert (standing(agency_a), standing(agency_b)) == ("approved", "approved")


def test_a_suspension_imposed_ahead_takes_effect_on_its_start_date(coordinator, agency_a):
    suspend(agency_a, coordinator, starts_on=days(7), ends_on=days(37))
    assert standing(agency_a) == "approved"
    assert agency_standing_sync(today=days(6)).changed == 0
    assert agency_standing_sync(today=days(7)).suspended == [agency_a]
    assert agency_standing_sync(today=days(7)).changed == 0
    assert standing(agency_a) == "suspended"
    assert agency_standing_sync(today=days(37)).approved == [agency_a]


# --- Lifting


def test_lifting_early_needs_a_reason(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    with pytest.raises(ValidationError) as refused:
        suspension_lift(suspension=suspension, by=coordinator, reason=" ")
    assert refused.value.message_dict == {
        "lift_reason": ["Say why the suspension is lifted early: every council reads it."]
    }
    assert standing(agency_a) == "suspended"


def test_lifting_returns_the_agency_to_approved_and_tells_everyone(
    people, agency_a, django_capture_on_commit_callbacks
):
    suspension = suspend(agency_a, people)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        suspension = suspension_lift(suspension=suspension, by=people, reason="Repaid the excess and retrained staff.")
    assert (suspension.lifted_on, suspension.lifted_by, suspension.lift_reason) == (
        today(),
        people,
        "Repaid the excess and retrained staff.",
    )
    assert standing(agency_a) == "approved"
    assert len(mail.outbox) == 6
    assert mail.outbox[0].subject == "The suspension of Alpha Locums Ltd is lifted"
    assert "Why: Repaid the excess and retrained staff." in mail.outbox[0].body
    assert "Alpha Locums Ltd is approved again and may register new placements." in mail.outbox[0].body


def test_a_lifting_from_a_later_date_takes_effect_on_that_day(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator, kind="ongoing", ends_on=None)
    suspension_lift(suspension=suspension, by=coordinator, reason="Agreed at the board", on=days(5))
    assert standing(agency_a) == "suspended"
    assert agency_standing_sync(today=days(5)).approved == [agency_a]


def test_lifting_a_suspension_before_it_starts_cancels_it(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator, starts_on=days(10), ends_on=days(20))
    suspension = suspension_lift(suspension=suspension, by=coordinator, reason="Entered by mistake")
    assert suspension.lifted_on == days(10)
    assert agency_standing_sync(today=days(10)).changed == 0
    assert standing(agency_a) == "approved"


def test_a_suspension_is_lifted_once_and_not_after_it_ended(coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    suspension_lift(suspension=suspension, by=coordinator, reason="Agreed at the board")
    with pytest.raises(ValidationError) as refused:
        suspension_lift(suspension=suspension, by=coordinator, reason="Again")
    assert refused.value.messages == [f"This suspension was already lifted from {today():%d %B %Y}."]
    ended = SuspensionFactory(
        agency=agency_a, kind="temporary", starts_on=days(-30), ends_on=days(-1), reason=REASON, imposed_by=coordinator
    )
    with pytest.raises(ValidationError) as refused:
        suspension_lift(suspension=ended, by=coordinator, reason="Too late")
    assert refused.value.messages == [f"This suspension ended by itself on {days(-1):%d %B %Y}."]


# --- Removal


def test_a_removed_agency_stays_removed(coordinator, agency_a, django_capture_on_commit_callbacks):
    suspension = suspend(agency_a, coordinator, ends_on=days(10))
    agency_remove(agency=agency_a, by=coordinator, reason="Supplied workers in breach while suspended.")
    assert standing(agency_a) == "removed"
    stays = "Alpha Locums Ltd has been removed from the MoU's list of agencies; a removed agency stays removed."
    with pytest.raises(ValidationError) as refused:
        suspend(agency_a, coordinator, starts_on=days(20), ends_on=days(30))
    assert refused.value.messages == [stays]
    with pytest.raises(ValidationError) as refused:
        suspension_lift(suspension=suspension, by=coordinator, reason="Changed our mind")
    assert refused.value.messages == [stays]
    assert agency_standing_sync(today=days(10)).changed == 0
    assert standing(agency_a) == "removed"
    with pytest.raises(ValidationError) as refused:
        agency_remove(agency=agency_a, by=coordinator, reason="Twice")
    assert refused.value.messages == ["Alpha Locums Ltd has already been removed from the MoU's list of agencies."]


def test_removing_needs_a_reason_and_the_coordinator(coordinator, analyst, agency_a):
    with pytest.raises(ValidationError):
        agency_remove(agency=agency_a, by=coordinator, reason="")
    with pytest.raises(PermissionDenied):
        agency_remove(agency=agency_a, by=analyst, reason="Serious breaches")
    assert standing(agency_a) == "approved"


# --- Where a suspension stands


@pytest.mark.parametrize(
    "start, end, lifted, state",
    [
        (0, 10, None, "in_effect"),
        (1, 10, None, "scheduled"),
        (-10, 0, None, "ended"),
        (-10, None, 0, "lifted"),
        (-10, None, 3, "in_effect"),  # a lifting scheduled for later
        (0, None, 0, "lifted"),  # lifted on its first day
        (5, 10, 5, "lifted"),  # lifted before it started: it never takes effect
    ],
)
def test_where_a_suspension_stands_today(start, end, lifted, state):
    suspension = Suspension(
        kind="temporary" if end is not None else "ongoing",
        starts_on=days(start),
        ends_on=days(end) if end is not None else None,
        lifted_on=days(lifted) if lifted is not None else None,
    )
    assert suspension_state(suspension, on=today()) == state
