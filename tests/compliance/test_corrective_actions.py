"""Corrective actions' services (compliance/corrective_actions.py): draft → issued → signed → completed, or lapsed."""

from datetime import date, timedelta
from decimal import Decimal

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

import pytest
from django_celery_beat.models import PeriodicTask

from compliance.corrective_actions import (
    ItemDraft,
    corrective_action_complete,
    corrective_action_draft,
    corrective_action_issue,
    corrective_action_item_done,
    corrective_action_sign,
    corrective_action_update,
    corrective_actions_lapse,
)
from compliance.models import Breach, BreachNote, CorrectiveAction
from compliance.tasks import lapse_corrective_actions
from tests.factories import BreachFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_A_MONTH = TODAY + timedelta(days=30)
IN_TWO_MONTHS = TODAY + timedelta(days=60)


@pytest.fixture
def people(coordinator, agency_user, other_agency_user, agency_a):
    """Addresses to email: the coordinator, agency A's user, a second user of A without one, A's contact address."""
    for user, email in ((coordinator, "coordinator@wm.example"), (agency_user, "alpha@alpha.example")):
        user.email = email
        user.save(update_fields=["email"])
    other_agency_user.email = "beta@beta.example"
    other_agency_user.save(update_fields=["email"])
    UserFactory(username="alpha2", role="agency", agency=agency_a)  # no email: not written to
    agency_a.contact_email = "compliance@alpha.example"
    agency_a.save(update_fields=["contact_email"])


@pytest.fixture
def cases(agency_a, agency_b, solihull, coventry):
    return {
        "pay": BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("37.50")),
        "review": BreachFactory(
            placement__agency=agency_a,
            placement__authority=coventry,
            rule=Breach.Rule.CHARGE_RATE_ABOVE_CAP,
            status="under_review",
        ),
        "theirs": BreachFactory(
            placement__agency=agency_b, placement__authority=coventry, excess_amount=Decimal("120.00")
        ),
    }


def items(*due_dates):
    return [ItemDraft(description=f"Remedial action {n}", due_on=due) for n, due in enumerate(due_dates, start=1)]


def draft(coordinator, agency, breaches, due=(IN_A_MONTH,)):
    return corrective_action_draft(
        agency=agency, breaches=breaches, items=items(*due), summary="Pay back the excess", by=coordinator
    )


def issued(coordinator, agency, breaches, due=(IN_A_MONTH,)):
    return corrective_action_issue(action=draft(coordinator, agency, breaches, due), by=coordinator)


def signed(coordinator, agency_user, breaches, due=(IN_A_MONTH,)):
    action = issued(coordinator, agency_user.agency, breaches, due)
    return corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")


# --- Drafting


def test_the_coordinator_drafts_an_agreement_from_one_agencys_breaches(coordinator, agency_a, cases):
    action = draft(coordinator, agency_a, [cases["pay"], cases["review"]], due=(IN_TWO_MONTHS, IN_A_MONTH))
    action.refresh_from_db()
    assert (action.status, action.agency, action.created_by, action.summary) == (
        "draft",
        agency_a,
        coordinator,
        "Pay back the excess",
    )
    assert set(action.breaches.all()) == {cases["pay"], cases["review"]}
    assert [(i.description, i.due_on) for i in action.items.all()] == [
        ("Remedial action 2", IN_A_MONTH),
        ("Remedial action 1", IN_TWO_MONTHS),
    ]
    cases["pay"].refresh_from_db()
    assert cases["pay"].status == "open"  # a draft moves nothing


def test_a_draft_citing_another_agencys_breach_is_refused_naming_it(coordinator, agency_a, cases):
    with pytest.raises(ValidationError) as refused:
        draft(coordinator, agency_a, [cases["pay"], cases["theirs"]])
    assert refused.value.message_dict == {
        "breaches": [
            f"Breach case {cases['theirs'].pk} is not Alpha Locums Ltd's: a corrective action cites the breaches "
            "of one agency only."
        ]
    }
    assert not CorrectiveAction.objects.exists()


def test_a_draft_cites_at_least_one_breach(coordinator, agency_a):
    with pytest.raises(ValidationError) as refused:
        draft(coordinator, agency_a, [])
    assert refused.value.message_dict == {"breaches": ["Cite at least one breach case of this agency."]}


def test_a_draft_cannot_cite_a_dismissed_breach(coordinator, agency_a, solihull):
    dismissed = BreachFactory(
        placement__agency=agency_a,
        placement__authority=solihull,
        status="dismissed",
        dismissed_reason="Duplicate report",
    )
    with pytest.raises(ValidationError) as refused:
        draft(coordinator, agency_a, [dismissed])
    assert refused.value.message_dict["breaches"] == [
        f"Breach cases already closed cannot be cited: {dismissed.pk} (dismissed). Reopen them first if needed."
    ]


def test_a_draft_needs_at_least_one_remedial_action(coordinator, agency_a, cases):
    with pytest.raises(ValidationError) as refused:
        draft(coordinator, agency_a, [cases["pay"]], due=())
    assert refused.value.message_dict == {"items": ["List at least one remedial action, with the date it is due."]}


def test_a_remedial_action_due_in_the_past_or_without_words_is_refused(coordinator, agency_a, cases):
    yesterday = TODAY - timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        corrective_action_draft(
            agency=agency_a,
            breaches=[cases["pay"]],
            items=[ItemDraft("Repay £37.50", yesterday), {"description": "  ", "due_on": IN_A_MONTH}],
            by=coordinator,
        )
    assert refused.value.message_dict == {
        "items": [
            f"Remedial action 1: the due date {yesterday:%d/%m/%Y} is in the past.",
            "Remedial action 2: say what the agency will do.",
        ]
    }


def test_a_remedial_action_may_be_due_today(coordinator, agency_a, cases):
    assert draft(coordinator, agency_a, [cases["pay"]], due=(TODAY,)).items.get().due_on == TODAY


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_drafts(persona, request, agency_a, cases):
    with pytest.raises(PermissionDenied):
        draft(request.getfixturevalue(persona), agency_a, [cases["pay"]])


def test_a_draft_is_changed_and_its_items_replaced(coordinator, agency_a, cases):
    action = draft(coordinator, agency_a, [cases["pay"]], due=(IN_A_MONTH, IN_TWO_MONTHS))
    corrective_action_update(
        action=action,
        breaches=[cases["review"]],
        items=[ItemDraft("Train the bookers on the caps", IN_TWO_MONTHS)],
        summary="Training",
        by=coordinator,
    )
    action.refresh_from_db()
    assert action.summary == "Training"
    assert list(action.breaches.all()) == [cases["review"]]
    assert [(i.description, i.due_on) for i in action.items.all()] == [("Train the bookers on the caps", IN_TWO_MONTHS)]


def test_an_issued_agreement_cannot_be_changed(coordinator, agency_a, cases):
    action = issued(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(ValidationError) as refused:
        corrective_action_update(action=action, summary="Something else", by=coordinator)
    assert refused.value.messages == [
        f"Corrective action {action.pk} is issued; only a draft corrective action can be changed."
    ]


# --- Issuing


def test_issuing_moves_open_and_reviewed_breaches_to_corrective_action_and_emails_the_agency(
    coordinator, agency_a, cases, people, django_capture_on_commit_callbacks
):
    escalated = BreachFactory(
        placement__agency=agency_a, placement__authority=cases["pay"].authority, status="escalated"
    )
    action = draft(coordinator, agency_a, [cases["pay"], cases["review"], escalated])
    with django_capture_on_commit_callbacks(execute=True):
        corrective_action_issue(action=action, by=coordinator)
    action.refresh_from_db()
    assert (action.status, action.issued_by) == ("issued", coordinator)
    assert action.issued_at is not None
    statuses = dict(Breach.objects.filter(corrective_actions=action).values_list("pk", "status"))
    assert statuses == {
        cases["pay"].pk: "corrective_action",
        cases["review"].pk: "corrective_action",
        escalated.pk: "escalated",  # the suspension route stays as it is
    }
    # The breach's own timeline says why it moved.
    assert BreachNote.objects.get(breach=cases["pay"]).text == f"Cited by corrective action {action.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == ["alpha@alpha.example", "compliance@alpha.example"]
    message = mail.outbox[0]
    assert message.subject == f"Corrective action {action.pk} to sign: Alpha Locums Ltd"
    assert f"/corrective-actions/{action.pk}/sign/" in message.body
    assert f"- Remedial action 1 (due by {IN_A_MONTH:%-d %B %Y})" in message.body


def test_issuing_twice_is_refused(coordinator, agency_a, cases):
    action = issued(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(ValidationError) as refused:
        corrective_action_issue(action=action, by=coordinator)
    assert refused.value.messages == [
        f"Corrective action {action.pk} is issued; only a draft corrective action can be issued."
    ]


def test_only_the_coordinator_issues(coordinator, analyst, agency_a, cases):
    action = draft(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(PermissionDenied):
        corrective_action_issue(action=action, by=analyst)
    action.refresh_from_db()
    assert action.status == "draft"


# --- Signing


def test_an_agency_user_signs_and_the_signature_records_user_name_time_and_address(
    coordinator, agency_user, cases, people, django_capture_on_commit_callbacks
):
    action = issued(coordinator, agency_user.agency, [cases["pay"]])
    mail.outbox.clear()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        corrective_action_sign(action=action, by=agency_user, signed_name="  Alex   Agent ", ip="203.0.113.7")
    action.refresh_from_db()
    assert (action.status, action.signed_by, action.signed_name, action.signed_ip) == (
        "signed",
        agency_user,
        "Alex Agent",
        "203.0.113.7",
    )
    assert before <= action.signed_at <= timezone.now()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["coordinator@wm.example"], f"Corrective action {action.pk} signed by Alpha Locums Ltd")
    ]
    assert "Alex Agent signed corrective action" in mail.outbox[0].body


@pytest.mark.parametrize("name", ["", "   "])
def test_signing_needs_a_typed_name(name, coordinator, agency_user, cases):
    action = issued(coordinator, agency_user.agency, [cases["pay"]])
    with pytest.raises(ValidationError) as refused:
        corrective_action_sign(action=action, by=agency_user, signed_name=name, ip="203.0.113.7")
    assert refused.value.message_dict == {"signed_name": ["Type your full name to sign."]}
    action.refresh_from_db()
    assert action.status == "issued"


@pytest.mark.parametrize("persona", ["other_agency_user", "coordinator", "council_user"])
def test_only_a_user_of_the_agency_signs(persona, request, coordinator, agency_a, cases):
    action = issued(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(PermissionDenied):
        corrective_action_sign(
            action=action, by=request.getfixturevalue(persona), signed_name="Someone", ip="203.0.113.7"
        )
    action.refresh_from_db()
    assert (action.status, action.signed_name) == ("issued", "")


def test_a_draft_cannot_be_signed(coordinator, agency_user, cases):
    action = draft(coordinator, agency_user.agency, [cases["pay"]])
    with pytest.raises(ValidationError) as refused:
        corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    assert refused.value.messages == [
        f"Corrective action {action.pk} is draft; only an issued corrective action can be signed."
    ]


def test_signing_twice_is_refused_even_from_a_stale_copy(coordinator, agency_user, cases):
    """Two people pressing "Sign" at once hold the same issued copy; the service reads the locked row, not theirs."""
    action = issued(coordinator, agency_user.agency, [cases["pay"]])
    stale = CorrectiveAction.objects.get(pk=action.pk)
    corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    with pytest.raises(ValidationError) as refused:
        corrective_action_sign(action=stale, by=agency_user, signed_name="Sam Second", ip="198.51.100.1")
    assert "signed by Alex Agent" in refused.value.messages[0]
    stale.refresh_from_db()
    assert stale.signed_name == "Alex Agent"


def test_an_address_that_is_not_one_is_not_recorded(coordinator, agency_user, cases):
    action = issued(coordinator, agency_user.agency, [cases["pay"]])
    action = corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="not an address")
    action.refresh_from_db()
    assert (action.status, action.signed_ip) == ("signed", None)


# --- Doing the remedial actions, completing


def test_the_coordinator_records_a_remedial_action_as_done(coordinator, agency_user, cases):
    action = signed(coordinator, agency_user, [cases["pay"]])
    item = action.items.get()
    corrective_action_item_done(item=item, by=coordinator, done_on=TODAY - timedelta(days=2))
    item.refresh_from_db()
    assert (item.done_on, item.done_by) == (TODAY - timedelta(days=2), coordinator)


def test_a_remedial_action_is_done_today_unless_a_date_is_given(coordinator, agency_user, cases):
    item = signed(coordinator, agency_user, [cases["pay"]]).items.get()
    assert corrective_action_item_done(item=item, by=coordinator).done_on == TODAY


def test_a_remedial_action_is_done_only_on_a_signed_agreement(coordinator, agency_a, cases):
    action = issued(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(ValidationError) as refused:
        corrective_action_item_done(item=action.items.get(), by=coordinator)
    assert refused.value.messages == [
        f"Corrective action {action.pk} is issued; only a signed corrective action can have its remedial actions "
        "marked done."
    ]


def test_a_remedial_action_done_twice_or_in_the_future_is_refused(coordinator, agency_user, cases):
    item = signed(coordinator, agency_user, [cases["pay"]]).items.get()
    with pytest.raises(ValidationError) as future:
        corrective_action_item_done(item=item, by=coordinator, done_on=TODAY + timedelta(days=1))
    assert future.value.message_dict == {"done_on": ["A remedial action cannot be done on a date still to come."]}
    corrective_action_item_done(item=item, by=coordinator, done_on=TODAY)
    with pytest.raises(ValidationError) as twice:
        corrective_action_item_done(item=item, by=coordinator)
    assert twice.value.messages == [f"“Remedial action 1” was already recorded as done on {TODAY:%d %B %Y}."]


def test_the_agency_cannot_mark_its_own_remedial_action_done(coordinator, agency_user, cases):
    item = signed(coordinator, agency_user, [cases["pay"]]).items.get()
    with pytest.raises(PermissionDenied):
        corrective_action_item_done(item=item, by=agency_user)


def test_completing_needs_every_remedial_action_done(coordinator, agency_user, cases):
    action = signed(coordinator, agency_user, [cases["pay"]], due=(IN_A_MONTH, IN_TWO_MONTHS))
    corrective_action_item_done(item=action.items.first(), by=coordinator)
    with pytest.raises(ValidationError) as refused:
        corrective_action_complete(action=action, by=coordinator)
    assert refused.value.messages == [
        f"1 remedial action is not done yet: “Remedial action 2” (due {IN_TWO_MONTHS:%d/%m/%Y})."
    ]
    action.refresh_from_db()
    assert action.status == "signed"


def test_completing_resolves_the_cited_breaches(coordinator, agency_user, cases):
    action = signed(coordinator, agency_user, [cases["pay"], cases["review"]])
    corrective_action_item_done(item=action.items.get(), by=coordinator)
    corrective_action_complete(action=action, by=coordinator)
    action.refresh_from_db()
    assert (action.status, action.completed_by) == ("completed", coordinator)
    assert action.completed_at is not None
    for case in (cases["pay"], cases["review"]):
        case.refresh_from_db()
        assert case.status == "resolved"
        assert case.closed_at is not None
    cases["theirs"].refresh_from_db()
    assert cases["theirs"].status == "open"


def test_a_breach_another_live_agreement_cites_stays_under_corrective_action(coordinator, agency_user, cases):
    first = signed(coordinator, agency_user, [cases["pay"]])
    second = issued(coordinator, agency_user.agency, [cases["pay"]])
    corrective_action_item_done(item=first.items.get(), by=coordinator)
    corrective_action_complete(action=first, by=coordinator)
    cases["pay"].refresh_from_db()
    assert (cases["pay"].status, second.status) == ("corrective_action", "issued")


@pytest.mark.parametrize("stage", ["draft", "issued"])
def test_only_a_signed_agreement_is_completed(stage, coordinator, agency_a, cases):
    action = (draft if stage == "draft" else issued)(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(ValidationError) as refused:
        corrective_action_complete(action=action, by=coordinator)
    assert refused.value.messages == [
        f"Corrective action {action.pk} is {stage}; only a signed corrective action can be completed."
    ]


def test_completing_twice_is_refused(coordinator, agency_user, cases):
    action = signed(coordinator, agency_user, [cases["pay"]])
    corrective_action_item_done(item=action.items.get(), by=coordinator)
    corrective_action_complete(action=action, by=coordinator)
    with pytest.raises(ValidationError) as refused:
        corrective_action_complete(action=action, by=coordinator)
    assert refused.value.messages[0].startswith(f"Corrective action {action.pk} is completed (signed by Alex Agent")


# --- Lapsing


def test_an_agreement_past_a_due_date_undone_lapses_and_both_sides_are_told(
    coordinator, agency_user, cases, people, django_capture_on_commit_callbacks
):
    action = signed(coordinator, agency_user, [cases["pay"]], due=(IN_A_MONTH, IN_TWO_MONTHS))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lapsed = corrective_actions_lapse(today=IN_A_MONTH + timedelta(days=1))
    assert lapsed == [action]
    action.refresh_from_db()
    assert action.status == "lapsed"
    assert action.lapsed_at is not None
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("alpha@alpha.example", f"Corrective action {action.pk} has lapsed: Alpha Locums Ltd"),
        ("compliance@alpha.example", f"Corrective action {action.pk} has lapsed: Alpha Locums Ltd"),
        ("coordinator@wm.example", f"Lapsed: corrective action {action.pk} with Alpha Locums Ltd"),
    ]
    body = next(m.body for m in mail.outbox if m.to == ["coordinator@wm.example"])
    assert f"- Remedial action 1 (due by {IN_A_MONTH:%-d %B %Y})" in body
    assert "Remedial action 2" not in body  # not yet due
    cases["pay"].refresh_from_db()
    assert cases["pay"].status == "corrective_action"  # the coordinator decides what follows


def test_lapsing_twice_lapses_nothing_more_and_sends_nothing_more(
    coordinator, agency_a, cases, people, django_capture_on_commit_callbacks
):
    action = issued(coordinator, agency_a, [cases["pay"]])
    day_after = IN_A_MONTH + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert corrective_actions_lapse(today=day_after) == [action]
    first_lapse = CorrectiveAction.objects.get().lapsed_at
    assert len(mail.outbox) == 3  # the agency's user and contact address, and the coordinator
    with django_capture_on_commit_callbacks(execute=True):
        assert corrective_actions_lapse(today=day_after) == []
        assert corrective_actions_lapse(today=day_after + timedelta(days=1)) == []
    assert len(mail.outbox) == 3
    assert CorrectiveAction.objects.get().lapsed_at == first_lapse


def test_nothing_lapses_on_its_due_date_or_once_done(coordinator, agency_user, cases):
    due_today = signed(coordinator, agency_user, [cases["pay"]], due=(IN_A_MONTH,))
    done = signed(coordinator, agency_user, [cases["review"]], due=(IN_A_MONTH,))
    corrective_action_item_done(item=done.items.get(), by=coordinator)
    waiting = draft(coordinator, agency_user.agency, [cases["pay"]], due=(IN_A_MONTH,))
    assert corrective_actions_lapse(today=IN_A_MONTH) == []
    assert corrective_actions_lapse(today=IN_A_MONTH + timedelta(days=1)) == [due_today]
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert (done.status, waiting.status) == ("signed", "draft")


def test_a_completed_agreement_never_lapses(coordinator, agency_user, cases):
    action = signed(coordinator, agency_user, [cases["pay"]])
    corrective_action_item_done(item=action.items.get(), by=coordinator)
    corrective_action_complete(action=action, by=coordinator)
    assert corrective_actions_lapse(today=IN_TWO_MONTHS) == []


def test_a_lapsed_agreement_can_no_longer_be_signed(coordinator, agency_user, cases):
    action = issued(coordinator, agency_user.agency, [cases["pay"]])
    corrective_actions_lapse(today=IN_TWO_MONTHS)
    with pytest.raises(ValidationError) as refused:
        corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    assert refused.value.messages[0].startswith(f"Corrective action {action.pk} is lapsed (since ")


def test_the_daily_task_lapses_what_is_overdue_today(coordinator, agency_a, cases):
    action = issued(coordinator, agency_a, [cases["pay"]], due=(TODAY,))
    # Due today: not yet overdue.
    assert lapse_corrective_actions() == 0
    action.items.update(due_on=TODAY - timedelta(days=1))
    assert lapse_corrective_actions() == 1
    action.refresh_from_db()
    assert action.status == "lapsed"


def test_beat_runs_the_lapse_every_day():
    task = PeriodicTask.objects.get(name="Lapse overdue corrective actions")
    assert (task.task, task.enabled) == ("compliance.tasks.lapse_corrective_actions", True)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "1", "*")


def test_signed_agreements_record_the_signature_in_the_database(coordinator, agency_a, cases):
    """The database refuses a signed status without the signature, whatever writes it."""
    from django.db import IntegrityError, transaction

    action = issued(coordinator, agency_a, [cases["pay"]])
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectiveAction.objects.filter(pk=action.pk).update(status="signed")


def test_remedial_actions_may_be_given_as_dicts(coordinator, agency_a, cases):
    action = corrective_action_draft(
        agency=agency_a,
        breaches=[cases["pay"]],
        items=[{"description": "Repay", "due_on": date(TODAY.year + 1, 1, 31)}],
        by=coordinator,
    )
    assert action.items.get().due_on == date(TODAY.year + 1, 1, 31)


def test_history_records_who_took_each_step_even_outside_a_request(coordinator, agency_user, cases):
    action = signed(coordinator, agency_user, [cases["pay"]])
    steps = [(e.status, e.pgh_context.metadata["user"]) for e in action.events.order_by("pgh_id")]
    assert steps == [("draft", coordinator.pk), ("issued", coordinator.pk), ("signed", agency_user.pk)]
