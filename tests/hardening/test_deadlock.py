"""Two requests that wait for each other (issue 17; the review of the maintained case counts: an audit chunk and a
coordinator's change can lock the same count row and case in opposite orders). PostgreSQL breaks the deadlock by
failing one; that request was rolled back whole (ATOMIC_REQUESTS), so it answers 503 saying nothing of it was stored
and to send it again, not a bare 500."""

import threading

from django.db import DatabaseError, connection, connections, transaction
from django.test import RequestFactory

import pytest

from futuresocial.security import DatabaseErrorMiddleware
from tests.factories import BreachFactory


def a_real_deadlock(first_id, second_id) -> DatabaseError:
    """Two connections lock two case rows in opposite orders; the error PostgreSQL gives the one it fails."""
    barrier, errors = threading.Barrier(2), []

    def lock(one, other, alias):
        try:
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT id FROM compliance_breach WHERE id = %s FOR UPDATE", [one])
                barrier.wait()
                cursor.execute("SELECT id FROM compliance_breach WHERE id = %s FOR UPDATE", [other])
        except DatabaseError as error:
            errors.append(error)
        finally:
            connections[alias].close()

    threads = [
        threading.Thread(target=lock, args=(first_id, second_id, "default")),
        threading.Thread(target=lock, args=(second_id, first_id, "default")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/breaches/1/assign/", "/api/v1/breaches/1/"])
def test_a_request_failed_to_break_a_deadlock_answers_503_saying_nothing_was_stored(path):
    first, second = BreachFactory(), BreachFactory()
    error = a_real_deadlock(first.pk, second.pk)
    connection.close()

    answer = DatabaseErrorMiddleware(lambda request: None).process_exception(RequestFactory().post(path), error)

    assert answer is not None and answer.status_code == 503
    assert "another change saved at the same moment" in answer.content.decode()
    assert "nothing of it was stored" in answer.content.decode()
