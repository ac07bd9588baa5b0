"""Filing a council's DfE quarterly return (SPEC §5): the return as it stands is frozen as filed, once per council and
quarter; what changes in the data afterwards is shown against it (`dfe.selectors.differences`), never written in."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from dfe.models import FiledReturn
from dfe.returns import FIRST_QUARTER, BadQuarter, Quarter
from dfe.selectors import filing_of, live_return_json
from region.models import Authority


def file_refusal(*, by, authority: Authority) -> str | None:
    """Why `by` may not file `authority`'s return, or None: a council its own, the coordinator any. Analysts read
    returns but do not file them; agencies never see them."""
    if by.is_coordinator:
        return None
    if by.is_council:
        return None if by.authority_id == authority.pk else "A council files its own authority's DfE return only."
    return "A council's DfE return is filed by the council or the workforce coordinator."


def quarter_refusal(quarter: Quarter, *, today) -> str | None:
    """Why `quarter` cannot be filed on `today`, or None: a return is filed once its quarter has ended."""
    if quarter < FIRST_QUARTER:
        return f"{quarter} is before the Agency Protocol began: there is no return to file."
    if quarter.last_day >= today:
        return f"{quarter} ends on {date_format(quarter.last_day, 'j F Y')}: file it after."
    return None


def already_filed(filing: FiledReturn) -> ValidationError:
    when = date_format(timezone.localtime(filing.filed_at), "j F Y \\a\\t H:i")
    return ValidationError(
        f"The {filing.quarter} return of {filing.authority} was already filed by {filing.filed_by} on {when}; "
        "the filed return is not changed.",
        code="already_filed",
    )


@transaction.atomic
def dfe_return_file(*, authority: Authority, quarter: Quarter | str, by, note: str = "") -> FiledReturn:
    """File `authority`'s return for `quarter` as it stands now: its JSON is stored as filed, with who and when.

    PermissionDenied when `by` may not file it; ValidationError for a quarter not ended yet, or one already filed
    (the filing there stays as it is: correcting a filed return is not something this does).
    """
    if refusal := file_refusal(by=by, authority=authority):
        raise PermissionDenied(refusal)
    if not isinstance(quarter, Quarter):
        try:
            quarter = Quarter.parse(quarter)
        except BadQuarter as error:
            raise ValidationError({"quarter": str(error)}) from error
    if refusal := quarter_refusal(quarter, today=timezone.localdate()):
        raise ValidationError({"quarter": refusal}, code="not_ended")
    if (filing := filing_of(authority=authority, quarter=quarter)) is not None:
        raise already_filed(filing)
    filed = live_return_json(authority=authority, quarter=quarter)
    try:
        # A savepoint: another filing of this quarter may commit between the look above and this insert; the unique
        # constraint then refuses ours, and the caller hears who filed first.
        with transaction.atomic():
            return FiledReturn.objects.create(
                authority=authority, quarter=str(quarter), filed_by=by, filed=filed, note=(note or "").strip()
            )
    except IntegrityError:
        if (filing := filing_of(authority=authority, quarter=quarter)) is None:
            raise
        raise already_filed(filing) from None
