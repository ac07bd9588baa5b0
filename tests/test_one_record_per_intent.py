"""One record per intent for the records a person sends (issue 17, point 2), beyond placements
(tests/placements/test_one_placement_per_intent.py): a manual breach report, an agency's question and a cap
exception sent twice (in a row or at once) are stored once; the repeat is answered with the stored record (a 400
naming it on the API), never a 500 and never a second row. The database enforces it."""

import threading
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

import pytest

from compliance.breaches import breach_report_manual
from compliance.models import Breach, Query
from compliance.questions import query_ask
from placements.models import CapException
from placements.services import cap_exception_record
from tests.api.test_reference_api import token_client
from tests.factories import CapExceptionFactory, PlacementFactory, QueryFactory


def at_once(times, call):
    """`call()` from `times` threads released together; their outcomes (a record or the error raised)."""
    outcomes, barrier = [], threading.Barrier(times)

    def run():
        barrier.wait()
        try:
            outcomes.append(call())
        except Exception as error:  # noqa: BLE001 (the outcome is the test's to judge)
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


# --- Manual breach reports: the same reporter, agency, placement and words


def report(council_user, agency_a, placement=None):
    return breach_report_manual(
        agency=agency_a, placement=placement, description="Approached our worker in post.", by=council_user
    )


@pytest.mark.django_db
def test_a_repeated_breach_report_is_refused_naming_the_stored_case(council_user, agency_a):
    first = report(council_user, agency_a)
    with pytest.raises(ValidationError) as refused:
        report(council_user, agency_a)
    assert refused.value.messages == [f"This is already reported as breach {first.pk}."]
    assert Breach.objects.count() == 1


@pytest.mark.django_db
def test_a_repeated_breach_report_on_the_api_is_a_400_naming_it(council_user, agency_a):
    client = token_client(council_user)
    body = {"agency": agency_a.pk, "description": "Approached our worker in post."}
    first = client.post("/api/v1/breaches/", body, format="json")
    second = client.post("/api/v1/breaches/", body, format="json")
    assert first.status_code == 201
    assert second.status_code == 400
    assert second.json() == {"non_field_errors": [f"This is already reported as breach {first.json()['id']}."]}


@pytest.mark.django_db(transaction=True)
def test_four_identical_breach_reports_at_once_store_one(council_user, agency_a):
    outcomes = at_once(4, lambda: report(council_user, agency_a))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyRecorded"] * 3 + ["Breach"]
    assert Breach.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_identical_manual_report(council_user, agency_a):
    first = report(council_user, agency_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Breach.objects.create(
            agency=agency_a, authority=first.authority, rule="manual", source="manual",
            description=first.description, reported_by=council_user,
        )  # fmt: skip


# --- An agency's question: the same agency, asker, subject and question


def ask(agency_user):
    return query_ask(subject="Cap for a senior practitioner", question="Which cap applies?", by=agency_user)


@pytest.mark.django_db
def test_a_question_asked_twice_is_the_one_question(agency_user):
    first = ask(agency_user)
    with pytest.raises(ValidationError) as refused:
        ask(agency_user)
    assert refused.value.existing == first
    assert Query.objects.count() == 1


@pytest.mark.django_db
def test_a_double_click_on_ask_shows_the_one_question(client, agency_user):
    client.force_login(agency_user)
    form = {"subject": "Cap for a senior practitioner", "question": "Which cap applies?"}
    first = client.post("/queries/ask/", form)
    second = client.post("/queries/ask/", form)
    query = Query.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert str(query.pk) in second["Location"]


@pytest.mark.django_db(transaction=True)
def test_four_identical_questions_at_once_store_one(agency_user):
    outcomes = at_once(4, lambda: ask(agency_user))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyRecorded"] * 3 + ["Query"]
    assert Query.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_identical_question():
    first = QueryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        QueryFactory(subject=first.subject)


# --- Cap exceptions: the same placement and the same days


def sign_off(placement):
    return cap_exception_record(
        placement=placement,
        signed_by_dcs="A. Director",
        signed_by_chief_executive="B. Chief",
        reason="Hard-to-fill post",
        valid_from=date(2024, 4, 1),
        valid_until=date(2024, 9, 30),
    )


@pytest.mark.django_db
def test_an_identical_cap_exception_is_refused_naming_the_stored_one(agency_a):
    placement = PlacementFactory(agency=agency_a, start_date=date(2024, 4, 1))
    first = sign_off(placement)
    with pytest.raises(ValidationError) as refused:
        sign_off(placement)
    assert refused.value.messages == [
        f"Cap exception {first.pk} already covers this placement from 01/04/2024 to 30/09/2024."
    ]
    assert CapException.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_four_identical_cap_exceptions_at_once_store_one(agency_a):
    placement = PlacementFactory(agency=agency_a, start_date=date(2024, 4, 1))
    outcomes = at_once(4, lambda: sign_off(placement))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyRecorded"] * 3 + ["CapException"]
    assert CapException.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_identical_cap_exception():
    first = CapExceptionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CapExceptionFactory(placement=first.placement)
