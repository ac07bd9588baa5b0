"""Who may write through the API: the one place that decides it (SPEC §7 "who writes"; 403 otherwise).

Reads are decided by scoping (`futuresocial.scoping.visible_to`): a row outside the caller's scope is a 404, and a
tenant kind that a model's `scope` leaves out sees an empty list. Writes are decided here, by role, from the
viewset's `write_roles`. Which agency or authority a write may name is the serializer's business (a value outside
the caller's own tenant is a 400 field error), and an existing object outside scope stays a 404.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class WriteRoles(BasePermission):
    """Signed-in users read; only the roles in the view's `write_roles` write.

    `write_roles` is a tuple of `User.Role` values, or a dict from action name (`create`, `partial_update`, a custom
    `@action`) to such a tuple when actions differ. A view without `write_roles` is read-only for everyone.
    """

    message = "Your role may not make this change."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return user.role in roles_that_write(view)


def roles_that_write(view) -> tuple[str, ...]:
    write_roles = getattr(view, "write_roles", ())
    if isinstance(write_roles, dict):
        return tuple(write_roles.get(getattr(view, "action", None), ()))
    return tuple(write_roles)
