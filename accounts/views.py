"""Resetting a forgotten password (Django's views, the site's templates): rate-limited by address and by email."""

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpResponseRedirect

from accounts.forms import QueuedPasswordResetForm

RESETS_PER_HOUR = 5


def _within_limit(key: str) -> bool:
    """Count one more request under `key` in the current hour; False past the limit."""
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= RESETS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return True


class PasswordResetView(auth_views.PasswordResetView):
    """Past RESETS_PER_HOUR requests an hour from one address, or for one email, nothing more is sent: the answer is
    the same page as ever, so it tells nobody whether an address is known, nor that the limit was reached."""

    form_class = QueuedPasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "")
        by_address = _within_limit(f"password-reset:address:{address}")
        by_email = _within_limit(f"password-reset:email:{email}")
        if by_address and by_email:
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())
