"""Password reset by email (SPEC §5): Django's views with the site's templates and email queue; the same answer
whatever the address, a link on SITE_URL that works once, and a limit per address and per email."""

import re

from django.core import mail

import pytest

from accounts.models import User
from accounts.views import RESETS_PER_HOUR
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jo(solihull):
    return UserFactory(username="jo", role=User.Role.COUNCIL, authority=solihull, email="jo@solihull.example")


def ask(client, email, capture):
    with capture(execute=True):
        return client.post("/password-reset/", {"email": email})


def test_a_known_address_gets_a_link_that_sets_a_new_password_once(
    client, jo, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://mou.example.org"
    assert 'href="/password-reset/">Forgotten your password?' in client.get("/login/").content.decode()
    response = ask(client, "JO@solihull.example", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["jo@solihull.example"]
    assert message.subject == "Reset your password for the West Midlands Agency Protocol"
    link = re.search(r"https://mou\.example\.org(/password-reset/\S+/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a much longer passphrase 42", "new_password2": "a much longer passphrase 42"},
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    jo.refresh_from_db()
    assert jo.check_password("a much longer passphrase 42")
    # The link works once.
    assert "This link does not work any more" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, jo, django_capture_on_commit_callbacks):
    known = ask(client, "jo@solihull.example", django_capture_on_commit_callbacks)
    unknown = ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [message.to for message in mail.outbox] == [["jo@solihull.example"]]


def test_past_the_limit_nothing_more_is_sent_and_the_answer_does_not_change(
    client, jo, django_capture_on_commit_callbacks
):
    answers = {ask(client, "jo@solihull.example", django_capture_on_commit_callbacks)["Location"] for _ in range(8)}
    assert answers == {"/password-reset/sent/"}
    assert len(mail.outbox) == RESETS_PER_HOUR
