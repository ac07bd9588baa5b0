"""API tokens (SPEC §7): DRF's token, which also dies with its user's password and expires when left unused.

A token issued before the user's password last changed is refused and deleted, as a session is (Django ties a
session to the password's hash): a password changed because it leaked must not leave a token working. A token
unused for `API_TOKEN_MAX_AGE` expires; using it renews it. DRF's `Token` has one date, `created`: it holds the
token's last renewal here, so no table of our own is needed.
"""

from django.conf import settings
from django.utils import timezone

from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

# Renew at most once an hour per token: a write per request would cost every API call an UPDATE.
RENEW_AFTER_SECONDS = 3600


def token_refusal(token: Token, *, now=None) -> str | None:
    """Why `token` no longer works (its password changed since, or it went unused too long); None when it works."""
    now = now or timezone.now()
    changed = token.user.password_changed_at
    if changed is not None and token.created < changed:
        return "The token was issued before the password changed: ask for a new one."
    max_age = settings.API_TOKEN_MAX_AGE
    if now - token.created > max_age:
        return f"The token has expired (unused for {max_age.days} days): ask for a new one."
    return None


def token_for(user) -> Token:
    """The user's working token: the one they have, or a new one when it no longer works."""
    token = Token.objects.filter(user=user).select_related("user").first()
    if token is not None and token_refusal(token) is not None:
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


class TokenAuthentication(DrfTokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        now = timezone.now()
        if refusal := token_refusal(token, now=now):
            token.delete()
            raise AuthenticationFailed(refusal)
        if (now - token.created).total_seconds() > RENEW_AFTER_SECONDS:
            # Conditional on the date read: two requests at once renew it once.
            Token.objects.filter(pk=token.pk, created=token.created).update(created=now)
        return user, token
