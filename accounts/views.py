"""Resetting a forgotten password (Django's views, the site's templates): rate-limited by address and by email; and
saving a list page's filters as a named view."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import QueuedPasswordResetForm
from accounts.models import SavedView
from accounts.saved_views import clean_query, saved_view_delete, saved_view_save

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


# --- Saved views of list pages


def _list_url(list_name: str, query: str = "") -> str:
    url = reverse(list_name)
    return f"{url}?{query}" if query else url


@login_required
@require_POST
def saved_view_create(request):
    list_name = request.POST.get("list_name", "")
    query = request.POST.get("query", "")
    try:
        view, created = saved_view_save(
            user=request.user, list_name=list_name, name=request.POST.get("view_name", ""), query=query
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        if list_name not in SavedView.LISTS:
            return redirect("home")
        return redirect(_list_url(list_name, clean_query(query)))
    said = f"Saved this view as “{view.name}”." if created else f"“{view.name}” now keeps these filters."
    messages.success(request, said)
    return redirect(_list_url(view.list_name, view.query))


@login_required
@require_POST
def saved_view_remove(request, pk):
    view = saved_view_delete(user=request.user, pk=pk)
    if view is None:
        raise Http404("No saved view of yours has that number.")
    messages.success(request, f"Removed the saved view “{view.name}”.")
    return redirect(_list_url(view.list_name))
