"""The query log (SPEC §3 Query): agencies ask in the portal, the coordinator records queries that come by email or
phone, answers them and searches the log; each agency sees only its own; councils have none."""

import html
import re

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

import pytest

from accounts.models import User
from compliance.models import Query
from compliance.questions import query_answer, query_ask, query_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def text(response):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def emails(coordinator, agency_user, other_agency_user, agency_a, council_user):
    coordinator.email = "coordinator@wm.example"
    coordinator.save()
    UserFactory(username="deputy", role=User.Role.COORDINATOR, email="deputy@wm.example")
    agency_user.first_name, agency_user.last_name, agency_user.email = "Sam", "Patel", "sam@alpha.example"
    agency_user.save()
    other_agency_user.email = "office@beta.example"
    other_agency_user.save()
    council_user.email = "workforce@solihull.example"
    council_user.save()
    agency_a.contact_email = "info@alpha.example"
    agency_a.save()


def record(by, **overrides):
    values = {
        "asked_by_kind": "social_worker",
        "asked_by_name": "Jo Bloggs",
        "channel": "phone",
        "subject": "Cooling-off after redundancy",
        "question": "I was made redundant by Dudley in March. May I work as a locum in Walsall now?",
    }
    return query_record(by=by, **{**values, **overrides})


# --- Asking and answering


def test_an_agency_asks_in_the_portal_and_the_coordinators_are_emailed(
    client, emails, agency_user, agency_a, django_capture_on_commit_callbacks
):
    client.force_login(agency_user)
    assert client.get("/queries/ask/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/queries/ask/", {"subject": "Cap for an IRO", "question": "Does the IRO cap include holiday pay?"}
        )
    query = Query.objects.get()
    assert response["Location"] == f"/queries/{query.pk}/"
    assert (query.asked_by_kind, query.asked_by_name, query.agency, query.channel) == (
        "agency",
        "Sam Patel",
        agency_a,
        "portal",
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["coordinator@wm.example", "deputy@wm.example"]
    assert mail.outbox[0].subject == "A question from Alpha Locums Ltd: Cap for an IRO"
    assert "Does the IRO cap include holiday pay?" in mail.outbox[0].body
    assert f"/queries/{query.pk}/" in mail.outbox[0].body


def test_the_coordinator_answers_and_the_agency_reads_the_answer_and_is_emailed(
    client, emails, coordinator, agency_user, django_capture_on_commit_callbacks
):
    query = query_ask(subject="Cap for an IRO", question="Does the IRO cap include holiday pay?", by=agency_user)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/queries/{query.pk}/answer/",
            {"answer": "Yes: the cap is on the whole hourly rate, holiday pay included."},
        )
    assert response.status_code == 302
    query.refresh_from_db()
    assert (query.answered_by, query.answer) == (
        coordinator,
        "Yes: the cap is on the whole hourly rate, holiday pay included.",
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["info@alpha.example", "sam@alpha.example"]
    assert mail.outbox[0].subject == "Answer to your question: Cap for an IRO"
    assert "Yes: the cap is on the whole hourly rate, holiday pay included." in mail.outbox[0].body
    client.force_login(agency_user)
    page = text(client.get(f"/queries/{query.pk}/"))
    assert "Yes: the cap is on the whole hourly rate, holiday pay included." in page
    assert "Save the answer" not in page


def test_another_agency_gets_404_and_does_not_see_the_query_in_its_list(client, agency_user, other_agency_user):
    query = query_ask(subject="Cap for an IRO", question="Holiday pay?", by=agency_user)
    client.force_login(other_agency_user)
    assert client.get(f"/queries/{query.pk}/").status_code == 404
    assert list(client.get("/queries/").context["page"].object_list) == []


def test_correcting_an_answer_keeps_the_first_in_history_and_says_it_is_updated(
    emails, coordinator, agency_user, django_capture_on_commit_callbacks
):
    query = query_ask(subject="Cap for an IRO", question="Holiday pay?", by=agency_user)
    query_answer(query=query, answer="No.", by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        query_answer(query=query, answer="Yes, it is included.", by=coordinator)
    assert mail.outbox[0].subject == "Updated answer to your question: Cap for an IRO"
    assert list(query.events.order_by("pgh_id").values_list("answer", flat=True)) == ["", "No.", "Yes, it is included."]


def test_an_answer_is_required(coordinator, agency_user):
    query = query_ask(subject="Cap for an IRO", question="Holiday pay?", by=agency_user)
    with pytest.raises(ValidationError) as refused:
        query_answer(query=query, answer="  ", by=coordinator)
    assert refused.value.message_dict == {"answer": ["Write the answer."]}


def test_the_coordinator_records_a_phone_query_from_a_social_worker_and_nobody_is_emailed(
    client, emails, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/queries/new/",
            {
                "asked_by_kind": "social_worker",
                "asked_by_name": "Jo Bloggs",
                "channel": "phone",
                "subject": "Cooling-off after redundancy",
                "question": "May I work as a locum in Walsall now?",
            },
        )
    query = Query.objects.get()
    assert response["Location"] == f"/queries/{query.pk}/"
    assert (query.asked_by_kind, query.agency, query.channel) == ("social_worker", None, "phone")
    with django_capture_on_commit_callbacks(execute=True):
        query_answer(query=query, answer="Yes: redundancy is exempt from the cooling-off period.", by=coordinator)
    assert mail.outbox == []


def test_only_an_agencys_own_query_names_an_agency(coordinator, agency_a):
    with pytest.raises(ValidationError) as refused:
        record(coordinator, agency=agency_a)
    assert refused.value.message_dict == {
        "agency": ["Only an agency's own query names an agency (it would read a social worker's query in its portal)."]
    }
    with pytest.raises(ValidationError) as refused:
        record(coordinator, asked_by_kind="agency")
    assert refused.value.message_dict == {
        "agency": ["Name the agency that asked: it will read the answer in its portal."]
    }
    query = record(coordinator, asked_by_kind="agency", agency=agency_a, channel="email")
    assert query.agency == agency_a


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_records_and_answers(persona, request, coordinator):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        record(user)
    query = record(coordinator)
    with pytest.raises(PermissionDenied):
        query_answer(query=query, answer="Yes.", by=user)


def test_councils_have_no_query_pages(client, council_user, coordinator):
    query = record(coordinator)
    client.force_login(council_user)
    for url in ("/queries/", f"/queries/{query.pk}/", "/queries/ask/", "/queries/new/"):
        assert client.get(url).status_code == 403


def test_the_analyst_reads_the_log_but_does_not_answer(client, analyst, coordinator):
    query = record(coordinator)
    client.force_login(analyst)
    assert client.get(f"/queries/{query.pk}/").status_code == 200
    assert client.post(f"/queries/{query.pk}/answer/", {"answer": "Yes."}).status_code == 403


# --- Searching


@pytest.fixture
def log(coordinator, agency_user, other_agency_user):
    redundancy = record(coordinator)
    iro = query_ask(subject="Cap for an IRO", question="Does the IRO cap include holiday pay?", by=agency_user)
    query_answer(query=iro, answer="Yes, holiday pay is part of the hourly rate.", by=coordinator)
    umbrella = query_ask(
        subject="Umbrella companies", question="Which cap applies to umbrella workers?", by=other_agency_user
    )
    return {"redundancy": redundancy, "iro": iro, "umbrella": umbrella}


@pytest.mark.parametrize(
    "search, found",
    [
        ("q=holiday", ["iro"]),
        ("q=HOLIDAY+hourly", ["iro"]),  # every word, in the question or the answer
        ("q=cap", ["umbrella", "iro"]),
        ("q=walsall", ["redundancy"]),
        ("asker=bloggs", ["redundancy"]),
        ("state=unanswered", ["umbrella", "redundancy"]),
        ("state=answered", ["iro"]),
        ("channel=portal", ["umbrella", "iro"]),
        ("kind=social_worker", ["redundancy"]),
        ("q=nothing-like-this", []),
    ],
)
def test_the_coordinator_searches_the_log(client, coordinator, log, search, found):
    client.force_login(coordinator)
    page = client.get(f"/queries/?{search}").context["page"]
    assert list(page.object_list) == [log[name] for name in found]


def test_the_log_filters_by_agency(client, coordinator, log, agency_b):
    client.force_login(coordinator)
    assert list(client.get(f"/queries/?agency={agency_b.pk}").context["page"].object_list) == [log["umbrella"]]


def test_an_agency_searches_only_its_own_queries(client, agency_user, log):
    client.force_login(agency_user)
    assert list(client.get("/queries/?q=cap").context["page"].object_list) == [log["iro"]]


def test_the_log_is_paginated_25_a_page(client, coordinator):
    for n in range(27):
        record(coordinator, subject=f"Question {n}")
    client.force_login(coordinator)
    page = client.get("/queries/?page=2").context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (27, 2, 2)


def test_the_log_makes_the_same_queries_for_1_or_6_rows(client, coordinator, agency_user, django_assert_num_queries):
    query_answer(query=record(coordinator), answer="Yes.", by=coordinator)
    client.force_login(coordinator)
    # 1 SAVEPOINT, 2 session, 3 user, 4 the agencies offered in the search form, 5 count, 6 the page of queries with
    # their agency and who answered, 7 RELEASE SAVEPOINT.
    with django_assert_num_queries(8):  # the 8th: the person's saved views
        client.get("/queries/")
    for n in range(5):
        query_answer(query=query_ask(subject=f"Q{n}", question="?", by=agency_user), answer="Yes.", by=coordinator)
    with django_assert_num_queries(8):  # the 8th: the person's saved views
        response = client.get("/queries/")
    assert len(response.context["page"].object_list) == 6
