"""One submission per form (issue 17, point 2): a double click, or a browser resending a form, does what the first
did once. Each POST form of a page carries a fresh `submission` token (`{% submission_token %}`, a template builtin);
the middleware claims token + answers in the cache before the view runs. A repeat with the same token and the same
answers is not run again: it goes where the first went (waiting for it if both arrive at once). A view that answers
without redirecting (a form shown again with its errors), or redirects with an error message, releases the claim, so
the form sent again is judged anew.

Records with a natural "same" are also guarded by the database (futuresocial/once.py); this covers the rest (a note,
a status change, a bulk action) and saves the work. Posts without a token (the API, scripts) are untouched. Sign-in
and password forms carry none: they store nothing, and their answers must not be hashed into cache keys."""

import hashlib
import logging
import time
import uuid

from django import template
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.safestring import mark_safe

from redis.exceptions import RedisError

FIELD = "submission"
PENDING = "pending"
CLAIM_SECONDS = 120  # longer than any page's POST takes (uploads included); a crashed claim frees itself
KEEP_SECONDS = 3600  # how long a repeat is recognised
WAIT_SECONDS = 15  # how long a repeat waits for the first to finish before saying it is still being sent
ALREADY_SENT = "That form was already sent: this page shows what it did."

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag
def submission_token():
    return mark_safe(f'<input type="hidden" name="{FIELD}" value="{uuid.uuid4().hex}">')


def _fingerprint(request) -> str:
    """The answers sent (files by content), in a fixed order: the same form sent again with other answers is a new
    submission (back, change, send)."""
    digest = hashlib.sha256(request.path.encode())
    for name in sorted(request.POST):
        if name in (FIELD, "csrfmiddlewaretoken"):
            continue
        for value in request.POST.getlist(name):
            digest.update(f"\0{name}\0{value}".encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\0{name}\0{upload.name}\0{upload.size}".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


class OneSubmissionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The API's clients send no token (and its parsers, not this, read its bodies).
        posted_form = request.method == "POST" and not request.path.startswith("/api/")
        token = request.POST.get(FIELD, "") if posted_form else ""
        if not (len(token) == 32 and token.isalnum()):
            return self.get_response(request)
        user = request.user.pk if request.user.is_authenticated else "anonymous"
        key = f"submission:{user}:{token}:{_fingerprint(request)}"
        deadline = time.monotonic() + WAIT_SECONDS
        while not (claimed := _cache(cache.add, key, PENDING, CLAIM_SECONDS)):
            if claimed is None:  # the cache is down: the form is judged on its own, as without a token
                return self.get_response(request)
            done = _cache(cache.get, key)
            if done not in (None, PENDING):
                messages.info(request, ALREADY_SENT)
                response = HttpResponseRedirect(done)
                response.status_code = 303  # See Other: a GET of where the first went
                return response
            if time.monotonic() > deadline:
                return render(request, "security/still_sending.html", status=409)
            time.sleep(0.05)
        try:
            response = self.get_response(request)
        except BaseException:
            _cache(cache.delete, key)
            raise
        if 300 <= response.status_code < 400 and response.get("Location") and not _refused(request):
            _cache(cache.set, key, response["Location"], KEEP_SECONDS)
        else:
            _cache(cache.delete, key)
        return response


def _refused(request) -> bool:
    """Whether the view refused with an error message and a redirect (as the case actions do): the same form sent
    again, once its cause is fixed, must be judged again, not sent to the refusal."""
    queued = getattr(messages.get_messages(request), "_queued_messages", [])  # read, not consumed
    return any(message.level >= messages.ERROR for message in queued)


def _cache(operation, *args):
    """`operation`'s answer, or None when the cache (Redis) does not answer: a form is never refused, nor its work
    lost, because the cache is down (SPEC §6); only its repeat goes unnoticed until it is back."""
    try:
        return operation(*args)
    except (RedisError, OSError) as error:
        logger.warning("Form submission not checked for a repeat: the cache did not answer (%s)", error)
        return None
