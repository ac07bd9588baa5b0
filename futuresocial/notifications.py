"""Email to the people of the MoU: Django's email with templates (console backend by default, SMTP from EMAIL_URL).

A message is a template `templates/email/<name>.txt` whose first line is the subject. It is sent after the caller's
transaction commits, so nobody is told of a change that was rolled back. (Tests: wrap the call in
`django_capture_on_commit_callbacks(execute=True)` and read `mail.outbox`.)
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string


def render_email(template: str, context: dict) -> tuple[str, str]:
    subject, _, body = render_to_string(f"email/{template}.txt", context).strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def notify(*, to: list[str], template: str, context: dict) -> None:
    """Send one message per recipient address (no address leaks to another council or agency), after commit."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    subject, body = render_email(template, context)

    def send():
        for address in recipients:
            EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()

    transaction.on_commit(send)


# --- Who is told, and the links they get


def site_url(path: str) -> str:
    """An absolute link for an email: `SITE_URL` (e.g. https://mou.example.org) is where people reach the app."""
    return settings.SITE_URL.rstrip("/") + path


def council_addresses() -> list[str]:
    """Every active council user with an email address: every council is told of a change of standing."""
    from accounts.models import User

    return list(
        User.objects.filter(role=User.Role.COUNCIL, is_active=True).exclude(email="").values_list("email", flat=True)
    )


def coordinator_addresses() -> list[str]:
    from accounts.models import User

    return list(
        User.objects.filter(role=User.Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def agency_addresses(agency) -> list[str]:
    """The agency's active users with an email address, and its contact address."""
    users = agency.users.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    return [*users, agency.contact_email]
