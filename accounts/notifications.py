"""Email to the people of the MoU: who is told, and the message they get (Django's email: console backend by default,
SMTP from EMAIL_URL).

A message is a template `templates/email/<name>.txt` whose first line is the subject. It is rendered in the request
and, once the caller's transaction commits (nobody is told of a change that was rolled back), queued as one
`send_email` task per address (accounts/tasks.py): a Celery worker sends it and retries while the SMTP server does not
answer. The request never talks to the SMTP server, so a server that is down cannot turn a committed change into an
error page; nor can a task broker that is down (the messages are then logged as not sent). Tests run the task in
their own process (tests/conftest.py): wrap the call in `django_capture_on_commit_callbacks(execute=True)` and read
`mail.outbox`.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from kombu.exceptions import OperationalError as BrokerUnavailable

from accounts.models import User
from accounts.tasks import send_email
from region.selectors import deployment_region

logger = logging.getLogger(__name__)


def render_email(template: str, context: dict) -> tuple[str, str]:
    """Subject and body; every message may name the deployment's `region`, as every page does."""
    context = {"region": deployment_region(), **context}
    subject, _, body = render_to_string(f"email/{template}.txt", context).strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def notify(*, to: list[str], template: str, context: dict) -> None:
    """Send one message per recipient address (no address leaks to another council or agency), after commit."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    subject, body = render_email(template, context)
    # robust: the change has committed by the time this runs, so whatever goes wrong queueing the messages is logged,
    # never the request's error.
    transaction.on_commit(lambda: _queue(recipients, subject, body), robust=True)


def _queue(recipients: list[str], subject: str, body: str) -> None:
    for n, address in enumerate(recipients):
        try:
            send_email.delay(to=address, subject=subject, body=body)
        except BrokerUnavailable as error:
            # Each try waits for the broker's publish retries: the rest would wait as long and fail alike.
            logger.error(
                "Email %r not sent to %s: the task broker did not answer (%s)",
                subject,
                ", ".join(recipients[n:]),
                error,
            )
            return


# --- Who is told, and the links they get


def site_url(path: str) -> str:
    """An absolute link for an email: `SITE_URL` (e.g. https://mou.example.org) is where people reach the app."""
    return settings.SITE_URL.rstrip("/") + path


def council_addresses() -> list[str]:
    """Every active council user with an email address: every council is told of a change of standing."""
    return list(
        User.objects.filter(role=User.Role.COUNCIL, is_active=True).exclude(email="").values_list("email", flat=True)
    )


def coordinator_addresses() -> list[str]:
    return list(
        User.objects.filter(role=User.Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def agency_addresses(agency) -> list[str]:
    """The agency's active users with an email address, and its contact address."""
    users = agency.users.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    return [*users, agency.contact_email]
