"""Cross-cutting defences wired in settings.py: sign-in throttling (django-axes), the size bound on uploads, the one
page that needs a looser Content-Security-Policy (the API docs), and the answer when the database goes away.

- Sign-in throttling: after AXES_FAILURE_LIMIT failed sign-ins for one username from one address, that pair is locked
  out for AXES_COOLOFF_TIME; the sign-in page and the API token endpoint both say so (429).
- Uploads: a request declaring a body larger than the largest file any upload accepts (plus room for the form) is
  refused before it is read (413, with the limit); a file streamed without a declared length stops being stored at
  the limit and reaches the upload code as an `OversizedUpload`, which it refuses by its size. Memory and disk stay
  bounded either way.
- The database lost mid-request: a 503 that says nothing was stored, not a bare 500 (and text with a NUL: a 400).
"""

import io
import logging
import re
from functools import wraps

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import DatabaseError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

import psycopg
from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status

from futuresocial.uploads import largest_upload_bytes
from futuresocial.uploads import too_large_message as uploads_too_large_message

logger = logging.getLogger(__name__)

# Room for the multipart envelope and the form's other fields around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


# --- Sign-in throttling -----------------------------------------------------------------------------------------------


def client_ip(request) -> str | None:
    """The address a request came from: `REMOTE_ADDR`, or the first `X-Forwarded-For` entry when the app runs behind
    a proxy that sets it (`USE_X_FORWARDED_FOR = True`; off by default, since a client can forge the header)."""
    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        first = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR")


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' check, first in AUTHENTICATION_BACKENDS: a locked-out (username, address) pair cannot sign in.

    Every sign-in over HTTP passes its request (the sign-in page, the admin, the API token endpoint). A call without
    one comes from inside the process (the test client's `login()`, a shell): there is no address to throttle, so
    it is left to the next backend rather than refused, as axes' own backend would.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message(request, credentials=None) -> str:
    cool_off = get_cool_off(request)
    wait = f"Try again in {int(cool_off.total_seconds() // 60)} minutes" if cool_off else "Wait to be unlocked"
    return (
        f"Too many failed sign-ins: after {get_failure_limit(request, credentials)} wrong passwords for this username "
        f"from your address, signing in is blocked. {wait}, or ask the workforce coordinator to reset your password."
    )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying why and for how long (429); JSON for the API."""
    message = lockout_message(request, credentials)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )


def login_throttled(view):
    """Wrap the API token view (SPEC §7 `auth/token/`) in the sign-in page's throttling.

    axes marks DRF's request, not Django's, when the pair is locked out, so its middleware cannot see it: this
    answers 429 in place of the view's 400. Not atomic: on a 400 DRF rolls back the request's transaction, and the
    failed attempt axes records would go with it (the count would never reach the limit).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        api_request = (getattr(response, "renderer_context", None) or {}).get("request")
        if response.status_code == 400 and getattr(api_request, "axes_locked_out", False):
            credentials = {"username": api_request.data.get("username")}
            return JsonResponse({"detail": lockout_message(request, credentials)}, status=429)
        return response

    return transaction.non_atomic_requests(wrapped)


# --- The API docs' Content-Security-Policy ----------------------------------------------------------------------------


# Swagger UI from drf-spectacular-sidecar: its start-up script is served as a file (the "split" view), so scripts
# stay 'self' only. Its page carries an inline <style> and the UI sets inline styles as it draws, which the site's
# policy (style-src 'self') would block: on this one page inline styles are allowed. Styles cannot run code; the
# page shows only the public schema.
class ApiDocsView(SpectacularSwaggerSplitView):
    """The split view asks for its script as `?script=`; the API refuses empty parameters
    (futuresocial/api/middleware.py), so the page asks for `?script=1`. Only GET: its HTML renderer has no template
    for DRF's OPTIONS metadata (that was a 500)."""

    http_method_names = ["get", "head"]

    @extend_schema(exclude=True)  # a page, not part of the API
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if isinstance(response.data, dict) and "script_url" in response.data:
            response.data["script_url"] = re.sub(r"([?&]script=)(?=&|$)", r"\g<1>1", response.data["script_url"])
        return response


api_docs = csp_update({"style-src": [UNSAFE_INLINE]})(ApiDocsView.as_view(url_name="api-schema"))


# --- Upload size ------------------------------------------------------------------------------------------------------


def upload_max_bytes() -> int:
    """The largest file the app accepts: the larger of its two uploads' limits (timesheet lines, workforce returns).
    Each upload then refuses a file above its own limit (futuresocial/uploads.py)."""
    return largest_upload_bytes()


def too_large_message(size: int) -> str:
    return uploads_too_large_message(size, upload_max_bytes())


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than the largest file plus its form, before reading it.

    Its check runs before any view middleware: CsrfViewMiddleware would otherwise read (and spool to disk) the whole
    body to find its token.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > upload_max_bytes() + FORM_OVERHEAD_BYTES:
            message = too_large_message(length)
            if request.path.startswith("/api/"):
                return JsonResponse({"file": [message]}, status=413)
            response = render(request, "security/request_too_large.html", {"message": message}, status=413)
            response["Connection"] = "close"  # the unread body is not worth reading
            return response
        return self.get_response(request)


class OversizedUpload(UploadedFile):
    """An uploaded file that went past the limit: its content was not kept, only its name and how big it was."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)
        self.oversized = True


class UploadSizeLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes chunks on to Django's handlers until the file passes the limit, then
    keeps only the count, so a body sent without a declared length (chunked) cannot fill the disk."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > upload_max_bytes():
            return None  # the handlers after this one store nothing more of it
        return raw_data

    def file_complete(self, file_size):
        if self.received > upload_max_bytes():
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset)
        return None  # let Django's handler hand over the file


# --- The database lost mid-request ------------------------------------------------------------------------------------


class DatabaseErrorMiddleware:
    """Three database errors that are not the program's fault answer with what happened, not a bare 500:

    - the transaction was failed to end a deadlock with another request: 503, send it again (nothing was stored);
    - the connection failed (the server restarted, the connection was cut mid-upload): 503. Nothing was committed:
      requests are atomic (ATOMIC_REQUESTS), so the transaction died with the connection; the next request connects
      afresh.
    - text PostgreSQL cannot hold (a NUL character, e.g. `?role=%00`, reaching a lookup no validator guards): 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError) and "cannot contain NUL" in str(exception):
            message = "The request contains a NUL character (\\0), which no field accepts: nothing was changed."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponse(message, content_type="text/plain; charset=utf-8", status=400)
        if _clashed(exception):
            logger.warning("Request failed to end a deadlock, %s %s: %s", request.method, request.path, exception)
            message = (
                "This waited on another change saved at the same moment, and the database stopped it so that the "
                "other could finish: nothing of it was stored. Please send it again."
            )
            heading = "Not saved: it clashed with another change"
        elif _connection_lost(exception):
            logger.error("Database connection lost during %s %s: %s", request.method, request.path, exception)
            message = (
                "The connection to the database was lost while this was being saved: nothing of it was stored. "
                "Please send it again in a moment."
            )
            heading = "Not saved: the database connection was lost"
        else:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=503)
        try:
            return render(
                request, "security/database_unavailable.html", {"message": message, "heading": heading}, status=503
            )
        except DatabaseError:  # the page itself needed the database
            return HttpResponse(message, content_type="text/plain; charset=utf-8", status=503)


def _clashed(exception) -> bool:
    """Whether PostgreSQL failed this request's transaction to end a deadlock (40P01) or a serialization conflict
    (40001) with another: two writes waiting on each other (e.g. an audit chunk and a coordinator's change locking a
    case and its count in opposite orders). The transaction was rolled back whole (ATOMIC_REQUESTS)."""
    error = exception if isinstance(exception, psycopg.Error) else exception.__cause__
    return isinstance(error, psycopg.Error) and error.sqlstate in {"40P01", "40001"}


def _connection_lost(exception) -> bool:
    """Whether `exception` (Django's, or psycopg's own: the upload's COPY talks to psycopg directly) says the
    connection went, rather than that a statement failed. By the time a middleware sees it, Django has already
    opened a new connection, so the error itself must tell: a connection-class SQLSTATE (08xxx), the server shutting
    down (57P01-57P03), or no SQLSTATE at all (the socket closed under psycopg)."""
    error = exception if isinstance(exception, psycopg.Error) else exception.__cause__
    if not isinstance(exception, DatabaseError | psycopg.Error) or not isinstance(error, psycopg.Error):
        return False
    if isinstance(error, psycopg.InterfaceError):
        return True
    sqlstate = error.sqlstate
    return isinstance(error, psycopg.OperationalError) and (
        sqlstate is None or sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}
    )
