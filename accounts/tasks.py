"""Background work for accounts: sending email (queued by accounts/notifications.py once a change has committed)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from celery import shared_task


# An SMTP server that is down, refuses or times out is tried again after up to 30 s, 1, 2, 4, 8, 16 and 32 min and
# 1 h (full jitter: a random wait up to each, so messages that failed together do not retry together); after the
# ninth try, at most about two hours on, the worker logs the failure. SMTPException is an OSError already: it is named
# for the reader. Not acks_late: sending is not idempotent, and a message sent twice is worse than a worker's crash
# losing one mid-send.
@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
)
def send_email(*, to: str, subject: str, body: str) -> None:
    """Send one message, already rendered, to one address."""
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]).send()
