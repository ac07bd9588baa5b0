"""Corrective-action pages: the coordinator's list, drafting from the breach queue, the action's page and its
buttons; the agency's signing page; the printable agreement; scoping of each."""

import html
import re
from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.utils import timezone

import pytest

from compliance.corrective_actions import (
    ItemDraft,
    corrective_action_complete,
    corrective_action_draft,
    corrective_action_issue,
    corrective_action_item_done,
    corrective_action_sign,
)
from compliance.models import CorrectiveAction
from tests.factories import BreachFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_A_MONTH = TODAY + timedelta(days=30)


def text(response):
    """A page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())).split())


@pytest.fixture
def a_case(agency_a, solihull):
    return BreachFactory(
        placement__agency=agency_a,
        placement__authority=solihull,
        excess_amount=Decimal("37.50"),
        excess_hours=Decimal("15.00"),
    )


@pytest.fixture
def b_case(agency_b, coventry):
    return BreachFactory(placement__agency=agency_b, placement__authority=coventry, excess_amount=Decimal("120.00"))


def draft(coordinator, agency, breaches, *descriptions):
    return corrective_action_draft(
        agency=agency,
        breaches=breaches,
        items=[ItemDraft(d, IN_A_MONTH) for d in descriptions or ["Repay the excess of £37.50"]],
        summary="Alpha paid above the cap at Solihull.",
        by=coordinator,
    )


def issued(coordinator, agency, breaches, *descriptions):
    return corrective_action_issue(action=draft(coordinator, agency, breaches, *descriptions), by=coordinator)


# --- The list


def test_the_coordinator_lists_every_agreement_with_its_progress(client, coordinator, agency_a, a_case, b_case):
    mine = issued(coordinator, agency_a, [a_case], "Repay", "Train the bookers")
    theirs = draft(coordinator, b_case.agency, [b_case])
    client.force_login(coordinator)
    response = client.get("/corrective-actions/")
    assert list(response.context["page"].object_list) == [theirs, mine]
    row = response.context["page"].object_list[1]
    assert (row.items_count, row.items_done, row.breaches_count, row.next_due_on) == (2, 0, 1, IN_A_MONTH)
    assert "Draft a corrective action" in text(response)


def test_the_list_filters_by_agency_and_status(client, coordinator, agency_a, agency_b, a_case, b_case):
    issued(coordinator, agency_a, [a_case])
    theirs = draft(coordinator, agency_b, [b_case])
    client.force_login(coordinator)
    assert list(client.get(f"/corrective-actions/?agency={agency_b.pk}").context["page"].object_list) == [theirs]
    assert list(client.get("/corrective-actions/?status=draft").context["page"].object_list) == [theirs]


def test_an_overdue_agreement_is_flagged_until_the_nightly_pass_lapses_it(client, coordinator, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    action.items.update(due_on=TODAY - timedelta(days=1))
    client.force_login(coordinator)
    response = client.get("/corrective-actions/?overdue=true")
    assert list(response.context["page"].object_list) == [action]
    assert response.context["page"].object_list[0].overdue is True
    assert "Overdue" in text(response)


def test_an_agency_lists_its_own_agreements_but_no_drafts(
    client, coordinator, agency_user, agency_a, agency_b, solihull
):
    mine = issued(coordinator, agency_a, [BreachFactory(placement__agency=agency_a, placement__authority=solihull)])
    draft(coordinator, agency_a, [BreachFactory(placement__agency=agency_a, placement__authority=solihull)])
    issued(coordinator, agency_b, [BreachFactory(placement__agency=agency_b, placement__authority=solihull)])
    client.force_login(agency_user)
    response = client.get("/corrective-actions/")
    assert list(response.context["page"].object_list) == [mine]
    assert 'name="agency"' not in response.content.decode()
    assert f'href="/corrective-actions/{mine.pk}/sign/"' in response.content.decode()


def test_a_council_lists_the_agreements_citing_breaches_at_its_authority(
    client, coordinator, council_user, agency_a, a_case, b_case
):
    at_solihull = issued(coordinator, agency_a, [a_case])
    issued(coordinator, b_case.agency, [b_case])  # Coventry
    client.force_login(council_user)
    assert list(client.get("/corrective-actions/").context["page"].object_list) == [at_solihull]


@pytest.mark.parametrize("rows", [1, 5])
def test_the_list_makes_the_same_queries_for_5_rows_as_for_1(
    rows, client, coordinator, agency_a, solihull, django_assert_num_queries
):
    for _ in range(rows):
        draft(
            coordinator,
            agency_a,
            [BreachFactory(placement__agency=agency_a, placement__authority=solihull)],
            "Repay",
            "Train",
        )
    client.force_login(coordinator)
    # 1 SAVEPOINT (ATOMIC_REQUESTS), 2 session, 3 user, 4 count for the paginator, 5 the page of actions with their
    # agency, item and breach counts and next due date, 6 the agencies offered by the filter, 7 RELEASE SAVEPOINT.
    with django_assert_num_queries(8):  # the 8th: the person's saved views
        response = client.get("/corrective-actions/")
    assert len(response.context["page"].object_list) == rows


# --- Drafting from the breach queue


def test_the_draft_form_comes_prefilled_with_the_breaches_chosen_in_the_queue(client, coordinator, agency_a, solihull):
    first, second = (
        BreachFactory(placement__agency=agency_a, placement__authority=solihull),
        BreachFactory(placement__agency=agency_a, placement__authority=solihull),
    )
    other = BreachFactory(placement__agency=agency_a, placement__authority=solihull)
    client.force_login(coordinator)
    response = client.get(f"/corrective-actions/new/?breaches={first.pk},{second.pk}")
    assert response.status_code == 200
    assert response.context["agency"] == agency_a
    form = response.context["form"]
    assert set(form["breaches"].initial) == {first, second}
    assert set(form.fields["breaches"].queryset) == {first, second, other}  # the agency's other open cases, offered


def test_breaches_of_two_agencies_cannot_make_one_agreement(client, coordinator, a_case, b_case):
    client.force_login(coordinator)
    response = client.get(f"/corrective-actions/new/?breaches={a_case.pk},{b_case.pk}")
    page = text(response)
    assert "A corrective action is with one agency, and these breach cases are of 2" in page
    assert f"Alpha Locums Ltd: {a_case.pk}; Beta Social Care Staffing Ltd: {b_case.pk}" in page
    assert "Draft with Alpha Locums Ltd" in page  # choose the agency instead


def test_the_coordinator_drafts_an_agreement_in_the_browser(client, coordinator, agency_a, a_case):
    client.force_login(coordinator)
    response = client.post(
        f"/corrective-actions/new/?breaches={a_case.pk}",
        {
            "breaches": [a_case.pk],
            "summary": "Pay rates above the cap at Solihull.",
            "items-TOTAL_FORMS": "3",
            "items-INITIAL_FORMS": "0",
            "items-0-description": "Repay the excess of £37.50",
            "items-0-due_on": IN_A_MONTH.isoformat(),
            "items-1-description": "",
            "items-1-due_on": "",
            "items-2-description": "",
            "items-2-due_on": "",
        },
    )
    action = CorrectiveAction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/corrective-actions/{action.pk}/"
    assert (action.status, action.summary) == ("draft", "Pay rates above the cap at Solihull.")
    assert [(i.description, i.due_on) for i in action.items.all()] == [("Repay the excess of £37.50", IN_A_MONTH)]


def test_a_draft_without_a_remedial_action_is_shown_the_refusal(client, coordinator, agency_a, a_case):
    client.force_login(coordinator)
    response = client.post(
        f"/corrective-actions/new/?agency={agency_a.pk}",
        {"breaches": [a_case.pk], "summary": "", "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    assert "List at least one remedial action, with the date it is due." in text(response)
    assert not CorrectiveAction.objects.exists()


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_drafts_in_the_browser(persona, request, client, a_case):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/corrective-actions/new/?breaches={a_case.pk}").status_code == 403


def test_the_coordinator_changes_a_draft_and_removes_an_item(client, coordinator, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case], "Repay", "Train")
    client.force_login(coordinator)
    response = client.post(
        f"/corrective-actions/{action.pk}/edit/",
        {
            "breaches": [a_case.pk],
            "summary": "Changed",
            "items-TOTAL_FORMS": "3",
            "items-INITIAL_FORMS": "2",
            "items-0-description": "Repay",
            "items-0-due_on": IN_A_MONTH.isoformat(),
            "items-1-description": "Train",
            "items-1-due_on": IN_A_MONTH.isoformat(),
            "items-1-DELETE": "on",
            "items-2-description": "Audit the bookings",
            "items-2-due_on": (IN_A_MONTH + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.summary == "Changed"
    assert [i.description for i in action.items.all()] == ["Repay", "Audit the bookings"]


# --- One agreement: scoping, buttons


def test_the_coordinator_issues_completes_and_resolves_in_the_browser(
    client, coordinator, agency_user, agency_a, a_case, django_capture_on_commit_callbacks
):
    action = draft(coordinator, agency_a, [a_case])
    client.force_login(coordinator)
    page = client.get(f"/corrective-actions/{action.pk}/")
    assert "Issue to Alpha Locums Ltd" in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/corrective-actions/{action.pk}/issue/", follow=True)
    assert "issued: Alpha Locums Ltd's users were emailed a link to sign it" in text(response)
    corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    item = action.items.get()
    response = client.post(f"/corrective-actions/{action.pk}/complete/", follow=True)
    assert "1 remedial action is not done yet" in text(response)
    client.post(f"/corrective-actions/{action.pk}/items/{item.pk}/done/", {"done_on": TODAY.isoformat()})
    response = client.post(f"/corrective-actions/{action.pk}/complete/", follow=True)
    assert "completed; the breach cases it cited are resolved" in text(response)
    a_case.refresh_from_db()
    action.refresh_from_db()
    assert (action.status, a_case.status) == ("completed", "resolved")
    timeline = [step["what"] for step in response.context["timeline"]]
    assert timeline == [
        "Drafted",
        "Issued to Alpha Locums Ltd to sign",
        "Signed by Alex Agent on behalf of Alpha Locums Ltd",
        "Remedial action done: Repay the excess of £37.50",
        "Completed: every remedial action done",
    ]


def test_issuing_twice_shows_why_not(client, coordinator, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    client.force_login(coordinator)
    response = client.post(f"/corrective-actions/{action.pk}/issue/", follow=True)
    assert f"Corrective action {action.pk} is issued; only a draft corrective action can be issued." in text(response)


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_presses_the_buttons(persona, request, client, coordinator, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case])
    client.force_login(request.getfixturevalue(persona))
    assert client.post(f"/corrective-actions/{action.pk}/issue/").status_code == 403
    assert client.post(f"/corrective-actions/{action.pk}/complete/").status_code == 403
    action.refresh_from_db()
    assert action.status == "draft"


def test_the_page_shows_the_cited_breaches_with_their_evidence(client, coordinator, agency_a, a_case, solihull):
    second = BreachFactory(placement__agency=agency_a, placement__authority=solihull, excess_amount=Decimal("12.50"))
    action = issued(coordinator, agency_a, [a_case, second])
    client.force_login(coordinator)
    response = client.get(f"/corrective-actions/{action.pk}/")
    assert [b.pk for b in response.context["breaches"]] == [a_case.pk, second.pk]
    assert response.context["excess_total"] == Decimal("50.00")
    assert "£50.00" in text(response)


def test_pages_of_another_agencys_agreement_are_404(client, coordinator, agency_user, b_case):
    theirs = issued(coordinator, b_case.agency, [b_case])
    client.force_login(agency_user)
    for url in ("", "sign/", "agreement/"):
        assert client.get(f"/corrective-actions/{theirs.pk}/{url}").status_code == 404
    response = client.post(f"/corrective-actions/{theirs.pk}/sign/", {"signed_name": "Alex Agent", "confirm": "on"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "issued"


def test_an_agency_does_not_see_a_draft(client, coordinator, agency_user, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case])
    client.force_login(agency_user)
    assert client.get(f"/corrective-actions/{action.pk}/").status_code == 404


def test_a_council_reads_an_agreement_citing_its_breaches_and_not_another(
    client, coordinator, council_user, agency_a, a_case, coventry
):
    elsewhere = BreachFactory(placement__agency=agency_a, placement__authority=coventry, excess_amount=Decimal("99.00"))
    at_solihull = issued(coordinator, agency_a, [a_case, elsewhere])
    only_coventry = issued(
        coordinator, agency_a, [BreachFactory(placement__agency=agency_a, placement__authority=coventry)]
    )
    client.force_login(council_user)
    response = client.get(f"/corrective-actions/{at_solihull.pk}/")
    assert response.status_code == 200
    assert [b.pk for b in response.context["breaches"]] == [a_case.pk]  # its own authority's case only
    assert "And 1 breach case at other authorities" in text(response)
    assert client.get(f"/corrective-actions/{only_coventry.pk}/").status_code == 404


# --- Signing in the portal


def test_an_agency_user_reads_and_signs_the_agreement(
    client, coordinator, agency_user, agency_a, a_case, django_capture_on_commit_callbacks
):
    coordinator.email = "coordinator@wm.example"
    coordinator.save(update_fields=["email"])
    action = issued(coordinator, agency_a, [a_case])
    client.force_login(agency_user)
    page = client.get(f"/corrective-actions/{action.pk}/sign/")
    assert "I have read this agreement and sign it on behalf of Alpha Locums Ltd" in text(page)
    assert "Repay the excess of £37.50" in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/corrective-actions/{action.pk}/sign/",
            {"signed_name": "Alex Agent", "confirm": "on"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR="198.51.100.1",  # not trusted: the app is not behind a proxy by default
            follow=True,
        )
    action.refresh_from_db()
    assert (action.status, action.signed_by, action.signed_name, action.signed_ip) == (
        "signed",
        agency_user,
        "Alex Agent",
        "203.0.113.7",
    )
    assert (
        f"Signed by Alex Agent on behalf of Alpha Locums Ltd on {timezone.localtime(action.signed_at):%-d %B %Y}"
        in (text(response))
    )
    assert [m.to for m in mail.outbox] == [["coordinator@wm.example"]]


def test_behind_a_proxy_the_first_forwarded_address_is_recorded(client, settings, coordinator, agency_user, a_case):
    settings.USE_X_FORWARDED_FOR = True
    action = issued(coordinator, agency_user.agency, [a_case])
    client.force_login(agency_user)
    client.post(
        f"/corrective-actions/{action.pk}/sign/",
        {"signed_name": "Alex Agent", "confirm": "on"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.1",
    )
    action.refresh_from_db()
    assert action.signed_ip == "198.51.100.1"


def test_signing_needs_the_box_ticked_and_a_name(client, coordinator, agency_user, a_case):
    action = issued(coordinator, agency_user.agency, [a_case])
    client.force_login(agency_user)
    response = client.post(f"/corrective-actions/{action.pk}/sign/", {"signed_name": "   "})
    page = text(response)
    assert "Tick the box to confirm you sign on behalf of your agency." in page
    assert "This field is required." in page  # the blank name
    action.refresh_from_db()
    assert action.status == "issued"


def test_an_agreement_already_signed_shows_who_signed_when(client, coordinator, agency_user, a_case):
    action = issued(coordinator, agency_user.agency, [a_case])
    corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    action.refresh_from_db()
    client.force_login(agency_user)
    response = client.get(f"/corrective-actions/{action.pk}/sign/")
    when = timezone.localtime(action.signed_at)
    assert f"Signed by Alex Agent on behalf of Alpha Locums Ltd on {when:%-d %B %Y} at {when:%H:%M}" in text(response)
    assert 'name="signed_name"' not in response.content.decode()
    response = client.post(f"/corrective-actions/{action.pk}/sign/", {"signed_name": "Sam", "confirm": "on"})
    assert "there is nothing to sign" in text(response)
    action.refresh_from_db()
    assert action.signed_name == "Alex Agent"


@pytest.mark.parametrize("persona", ["coordinator", "council_user"])
def test_only_agency_users_open_the_signing_page(persona, request, client, coordinator, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/corrective-actions/{action.pk}/sign/").status_code == 403


def test_the_agency_home_links_each_agreement_awaiting_signature_to_its_signing_page(
    client, coordinator, agency_user, agency_a, a_case
):
    action = issued(coordinator, agency_a, [a_case])
    client.force_login(agency_user)
    assert f'href="/corrective-actions/{action.pk}/sign/"' in client.get("/").content.decode()


# --- The printable agreement


def test_the_printable_agreement_names_the_parties_breaches_and_remedial_actions(
    client, coordinator, agency_user, agency_a, a_case
):
    action = issued(coordinator, agency_a, [a_case], "Repay the excess of £37.50", "Train the bookers on the caps")
    client.force_login(agency_user)
    response = client.get(f"/corrective-actions/{action.pk}/agreement/")
    page = text(response)
    assert f"Corrective action agreement no. {action.pk}" in page
    assert "on behalf of the 14 councils and children's trusts" in page
    assert "Birmingham" in page and "Worcestershire" in page
    assert f"Alpha Locums Ltd, company number {agency_a.company_number}" in page
    assert "Pay rate above the cap" in page and "£37.50" in page
    assert f"Repay the excess of £37.50 {IN_A_MONTH:%-d %B %Y}" in page
    assert "Train the bookers on the caps" in page
    assert "Signed by" not in page  # blank signature lines until it is signed
    assert 'href="/static/css/print.css"' in response.content.decode()


def test_the_printable_agreement_carries_the_signature_once_signed(client, coordinator, agency_user, agency_a, a_case):
    action = issued(coordinator, agency_a, [a_case])
    corrective_action_sign(action=action, by=agency_user, signed_name="Alex Agent", ip="203.0.113.7")
    corrective_action_item_done(item=action.items.get(), by=coordinator)
    corrective_action_complete(action=action, by=coordinator)
    action.refresh_from_db()
    client.force_login(coordinator)
    page = text(client.get(f"/corrective-actions/{action.pk}/agreement/"))
    when = timezone.localtime(action.signed_at)
    assert (
        f"Signed by Alex Agent on behalf of Alpha Locums Ltd, on {when:%-d %B %Y} at {when:%H:%M}, in the agency "
        "portal (user alpha, from 203.0.113.7)"
    ) in page
    assert f"Done {TODAY:%-d %b %Y}" in page
    assert "Completed on" in page


def test_issuing_asks_first_with_the_agreement_as_it_will_be_fixed(client, coordinator, agency_a, a_case):
    action = draft(coordinator, agency_a, [a_case])
    client.force_login(coordinator)
    detail = client.get(f"/corrective-actions/{action.pk}/").content.decode()
    assert f'href="/corrective-actions/{action.pk}/issue/">Issue to Alpha Locums Ltd…</a>' in detail
    page = client.get(f"/corrective-actions/{action.pk}/issue/")
    shown = text(page)
    assert f"Issue corrective action {action.pk} to Alpha Locums Ltd?" in shown
    assert "Its text is fixed" in shown and "Repay the excess of £37.50" in shown
    action.refresh_from_db()
    assert action.status == "draft"  # asking stores nothing
    # Once issued, the question is not asked again: back to the agreement.
    client.post(f"/corrective-actions/{action.pk}/issue/")
    assert client.get(f"/corrective-actions/{action.pk}/issue/")["Location"] == f"/corrective-actions/{action.pk}/"
