"""The password reset's form: Django's, sending through the site's email queue."""

from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse

from accounts.notifications import notify, site_url


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form (no account enumeration: the same answer whether the address is known or not), its
    message queued like every other email of the site (accounts/notifications.py), so the request never waits on the
    SMTP server. The link is on SITE_URL, never on the Host the request named (a forged Host would get a reset link
    pointing elsewhere)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        path = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        notify(to=[to_email], template="password_reset", context={"user": context["user"], "link": site_url(path)})
