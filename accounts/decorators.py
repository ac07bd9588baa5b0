"""Who may open a page: the role checks every view uses, in one place.

A signed-out visitor is sent to sign in (`login_required`); a signed-in user of the wrong role gets 403. Which *rows*
a user may see is a different question, answered by `futuresocial.scoping.visible_to`.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(test, *, denial):
    """A view decorator: sign in first, then `test(user)` must hold, or 403 with `denial` as the reason."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied(denial)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


agency_user_required = role_required(
    lambda user: user.is_agency and user.agency_id is not None,
    denial="Only an agency's own users can do this.",
)
regional_required = role_required(
    lambda user: user.is_regional, denial="Only the workforce coordinator and analysts can see this."
)
coordinator_required = role_required(
    lambda user: user.is_coordinator, denial="Only the workforce coordinator can do this."
)
