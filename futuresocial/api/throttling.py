"""How often one user may write through the API, and ask for a token (SPEC §7; rates from the environment).

The counts live in the default cache, which settings make shared by every gunicorn worker (Redis when REDIS_URL is
set, else a file-based cache under var/): a per-process cache would let each worker allow the full rate. Reads are
not throttled. A refused request is a 429 whose message says which limit and when to try again (`Retry-After`).
"""

import hashlib
import logging

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

WHAT_IS_LIMITED = {
    "write": "changes through the API",
    "token": "token requests for one user from one address",
}


class _RateFromSettings(SimpleRateThrottle):
    """Reads its rate from the settings at each request (DRF reads them once, at import), so a changed
    `DEFAULT_THROTTLE_RATES` (the environment at start-up, or a test) takes effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            allowed = super().allow_request(request, view)
        except (RedisError, OSError) as error:
            # The cache (Redis) is down: let the request through rather than lose the work it carries (SPEC §6,
            # tests/hardening/test_faults.py). Counting resumes when the cache is back.
            logger.warning("API throttle %s not applied: its cache did not answer (%s)", self.scope, error)
            return True
        if not allowed:
            # For the 429's message (futuresocial.api.views.exception_handler): which limit was reached.
            request._request.throttled_by = self
        return allowed

    def describe(self) -> str:
        return f"at most {self.num_requests} {WHAT_IS_LIMITED[self.scope]} per {_period_name(self.duration)}"


def _period_name(seconds: int) -> str:
    return {1: "second", 60: "minute", 3600: "hour", 86400: "day"}.get(seconds, f"{seconds} seconds")


class WriteRateThrottle(_RateFromSettings):
    """Writes (POST, PUT, PATCH, DELETE) per signed-in user, on every API view."""

    scope = "write"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.user.is_authenticated:
            return None  # not throttled: reads, and anonymous calls (refused with 401 anyway)
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenRateThrottle(_RateFromSettings):
    """`auth/token/` per username and address together, as django-axes counts sign-ins: guesses at one account from
    one address are held up, while its owner, elsewhere, still gets a token (by username alone, ten requests from
    anyone locked the owner out). The signed-in user revoking theirs counts per user.

    The address is `client_ip` (REMOTE_ADDR unless USE_X_FORWARDED_FOR): DRF's own would read a client's forged
    X-Forwarded-For, a fresh count per request."""

    scope = "token"

    def get_cache_key(self, request, view):
        # Here, not at the top: futuresocial.security imports drf-spectacular's views, which read DRF's settings,
        # which import this module (DEFAULT_THROTTLE_CLASSES).
        from futuresocial.security import client_ip

        if request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            username = request.data.get("username") if hasattr(request.data, "get") else None
            pair = f"{str(username or '').strip().lower()}|{client_ip(request) or ''}"
            # Hashed: a cache key may not hold spaces or any character a username might.
            ident = "pair-" + hashlib.sha256(pair.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
