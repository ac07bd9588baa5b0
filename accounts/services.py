from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from region.models import Authority

# The agency a user belongs to, named through the user's own relation: agencies sit above the region's people.
Agency = User._meta.get_field("agency").related_model


@transaction.atomic
def user_upsert(
    *, username: str, password: str | None, role: str, authority_code: str | None = None, agency_id: int | None = None
) -> tuple[User, bool]:
    """Create or update a user with a role; council users need an authority, agency users an agency.

    Returns (user, created). Raises ValidationError with a message a person can act on.
    """
    if role not in User.Role.values:
        raise ValidationError(f"Unknown role {role!r}: choose one of {', '.join(User.Role.values)}.")
    authority = agency = None
    if role == User.Role.COUNCIL:
        if not authority_code:
            raise ValidationError("A council user needs --authority CODE (e.g. E08000029 or 334 for Solihull).")
        authority = (
            Authority.objects.filter(code=authority_code).first()
            or Authority.objects.filter(la_code=authority_code).first()
        )
        if authority is None:
            raise ValidationError(f"No authority with code {authority_code!r}.")
    elif authority_code:
        raise ValidationError(f"Only council users belong to an authority; a {role} user does not.")
    if role == User.Role.AGENCY:
        if not agency_id:
            raise ValidationError("An agency user needs --agency ID.")
        agency = Agency.objects.filter(pk=agency_id).first()
        if agency is None:
            raise ValidationError(f"No agency with id {agency_id}.")
    elif agency_id:
        raise ValidationError(f"Only agency users belong to an agency; a {role} user does not.")

    user, created = User.objects.get_or_create(username=username)
    if created and not password:
        raise ValidationError("A new user needs --password.")
    user.role = role
    user.authority = authority
    user.agency = agency
    # The coordinator maintains the MoU in the admin too; nobody else gets in there.
    user.is_staff = user.is_superuser = role == User.Role.COORDINATOR
    if password:
        validate_password(password, user=user)  # AUTH_PASSWORD_VALIDATORS, as the admin's password forms do
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user, created
