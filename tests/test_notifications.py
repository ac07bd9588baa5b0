"""Email: rendered in the request, sent by a Celery task once the change has committed, retried with back-off. An SMTP
server or a task broker that does not answer never turns a committed change into an error page."""

import logging
import smtplib
import socket
import socketserver
import threading
from datetime import datetime, timedelta

from django.core import mail
from django.utils import timezone

import pytest
from celery.exceptions import Retry
from kombu import Exchange, Queue

from accounts.models import User
from accounts.notifications import notify
from accounts.tasks import send_email
from agencies.models import Suspension
from compliance.models import Query
from futuresocial.celery import app as celery_app
from tests.api.test_reference_api import token_client
from tests.celery_queues import celery_broker
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_message_goes_to_each_address_alone_after_commit(settings, tmp_path, django_capture_on_commit_callbacks):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "hello.txt").write_text("Hello {{ name }}\n\nThe MoU says hello to {{ name }}.\n")
    # Assigning the setting (not mutating it in place) makes Django rebuild its template engines, and undoes it after.
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(to=["b@example.org", "a@example.org", "", "a@example.org"], template="hello", context={"name": "Sam"})
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["a@example.org"], "Hello Sam", "The MoU says hello to Sam.\n"),
        (["b@example.org"], "Hello Sam", "The MoU says hello to Sam.\n"),
    ]


# --- An SMTP server that refuses, a broker that does not answer


class RefusingSmtpServer(socketserver.TCPServer):
    """A real SMTP server on 127.0.0.1 that turns every connection away: it answers 554 and hangs up."""

    allow_reuse_address = True

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.server.connections += 1
            self.request.sendall(b"554 5.3.2 No SMTP service here\r\n")

    def __init__(self):
        super().__init__(("127.0.0.1", 0), self.Handler)
        self.port, self.connections = self.server_address[1], 0


@pytest.fixture
def refusing_smtp(settings):
    server = RefusingSmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.shutdown()
    server.server_close()


def queued(queue: str) -> list[dict]:
    """Take every message off `queue`: each one's task, Celery headers (id, retries, eta) and keyword arguments."""
    messages = []
    with celery_app.connection_for_write() as connection:
        bound = Queue(queue, Exchange(queue), routing_key=queue)(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            args, kwargs, _embed = message.decode()
            assert args == []  # the email task takes keyword arguments only
            messages.append({"headers": message.headers, "kwargs": kwargs})
    return messages


def run_as_a_worker(message: dict):
    """Run a queued task in this process with the request a worker gives it (not eager: a retry goes to the broker)."""
    task = celery_app.tasks[message["headers"]["task"]]
    task.push_request(
        id=message["headers"]["id"],
        retries=message["headers"]["retries"],
        kwargs=message["kwargs"],
        called_directly=False,
        is_eager=False,
    )
    try:
        return task.run(**message["kwargs"])
    finally:
        task.pop_request()


@pytest.fixture
def coordinators(coordinator):
    coordinator.email = "coordinator@wm.example"
    coordinator.save()
    UserFactory(username="deputy", role=User.Role.COORDINATOR, email="deputy@wm.example")
    return ["coordinator@wm.example", "deputy@wm.example"]


def ask(client, agency_user):
    client.force_login(agency_user)
    return client.post(
        "/queries/ask/", {"subject": "Cap for an IRO", "question": "Does the IRO cap include holiday pay?"}
    )


@pytest.mark.django_db(transaction=True)  # the request's transaction really commits, then its on-commit work runs
def test_with_the_smtp_server_refusing_an_agency_asks_in_the_portal_and_the_question_is_stored(
    client, agency_user, coordinators, refusing_smtp, email_queue
):
    response = ask(client, agency_user)

    query = Query.objects.get()  # committed
    assert (response.status_code, response["Location"]) == (302, f"/queries/{query.pk}/")
    assert refusing_smtp.connections == 0  # the request never talks to the SMTP server: a worker does
    messages = queued(email_queue)
    assert [(m["headers"]["task"], m["kwargs"]["to"]) for m in messages] == [
        ("accounts.tasks.send_email", "coordinator@wm.example"),
        ("accounts.tasks.send_email", "deputy@wm.example"),
    ]
    assert messages[0]["kwargs"]["subject"] == "A question from Alpha Locums Ltd: Cap for an IRO"
    assert f"/queries/{query.pk}/" in messages[0]["kwargs"]["body"]

    # The worker takes the first message; the server refuses it, so the task goes back on the queue for later.
    with pytest.raises(Retry):
        run_as_a_worker(messages[0])
    assert refusing_smtp.connections == 1
    [again] = queued(email_queue)
    assert (again["headers"]["retries"], again["kwargs"]) == (1, messages[0]["kwargs"])
    # The first retry waits up to 30 s (full jitter: a random time up to the back-off, so a queue of messages that
    # failed together does not retry together).
    # A jitter of 0 s (1 draw in 31) is a retry at once, which Celery sends with no eta.
    eta = again["headers"]["eta"]
    eta = datetime.fromisoformat(eta) if eta is not None else timezone.now()
    assert timezone.now() - timedelta(seconds=5) <= eta <= timezone.now() + timedelta(seconds=30)


@pytest.mark.django_db(transaction=True)
def test_with_the_smtp_server_refusing_the_coordinator_suspends_an_agency_through_the_api(
    coordinator, council_user, agency_a, refusing_smtp, email_queue
):
    council_user.email = "workforce@solihull.example"
    council_user.save()
    today = timezone.localdate()
    response = token_client(coordinator).post(
        "/api/v1/suspensions/",
        {
            "agency": agency_a.pk,
            "kind": "temporary",
            "ends_on": str(today + timedelta(days=30)),
            "reason": "Overcharged.",
        },
        format="json",
    )

    assert response.status_code == 201
    assert Suspension.objects.get().pk == response.json()["id"]  # committed
    assert refusing_smtp.connections == 0
    assert [m["kwargs"]["to"] for m in queued(email_queue)] == ["workforce@solihull.example"]


def test_the_email_task_tries_nine_times_in_all_then_gives_up(refusing_smtp):
    # Eager, as tests run it: each retry runs at once instead of after its back-off.
    result = send_email.apply(kwargs={"to": "coordinator@wm.example", "subject": "Hello", "body": "Hello.\n"})

    assert result.state == "FAILURE"
    assert isinstance(result.result, smtplib.SMTPConnectError)
    assert refusing_smtp.connections == 9  # the first try and 8 retries


def test_the_email_task_sends_one_message_to_one_address(settings):
    send_email.apply(kwargs={"to": "coordinator@wm.example", "subject": "Hello", "body": "Hello.\n"}).get()

    assert [(m.from_email, m.to, m.subject, m.body) for m in mail.outbox] == [
        (settings.DEFAULT_FROM_EMAIL, ["coordinator@wm.example"], "Hello", "Hello.\n")
    ]


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_an_agency_asks_in_the_portal_and_the_question_is_stored(
    client, agency_user, coordinators, email_queue, caplog
):
    with socket.socket() as nothing_listens:  # bound, never listening: every connection to it is refused at once
        nothing_listens.bind(("127.0.0.1", 0))
        dead_broker = f"redis://127.0.0.1:{nothing_listens.getsockname()[1]}/0"
        with celery_broker(dead_broker), caplog.at_level(logging.ERROR, logger="accounts.notifications"):
            response = ask(client, agency_user)

    query = Query.objects.get()  # committed
    assert (response.status_code, response["Location"]) == (302, f"/queries/{query.pk}/")
    assert [record.getMessage().split(" (")[0] for record in caplog.records] == [
        "Email 'A question from Alpha Locums Ltd: Cap for an IRO' not sent to coordinator@wm.example, "
        "deputy@wm.example: the task broker did not answer"
    ]
    assert queued(email_queue) == []
