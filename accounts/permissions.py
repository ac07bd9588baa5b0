"""Who may make a change, asked by the services themselves (pages ask `accounts.decorators`, the API
`futuresocial.api.permissions`): a service refuses a caller in the wrong role, whichever door they came in by."""

from django.core.exceptions import PermissionDenied


def require_coordinator(user, doing: str) -> None:
    """Refuse (PermissionDenied, naming what was attempted) unless `user` is the workforce coordinator."""
    if user is None or not getattr(user, "is_coordinator", False):
        raise PermissionDenied(f"Only the workforce coordinator can {doing}.")
