"""Writes of workforce returns: a council submits (or resubmits) its return for a period end (SPEC §3).

A resubmission replaces the figures of the return for that period end; the earlier figures stay in its history
(django-pghistory's triggers record every insert and update, with who made it). The page and the API submit one return
(`workforce_return_submit`); the upload of a file many at once (`workforce_returns_submit`), by the same rule.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from futuresocial.history import changed_by
from workforce.models import WorkforceReturn


def submit_refusal(*, by, authority) -> str | None:
    """Why `by` may not submit a return for `authority`, or None: councils for their own, the coordinator any."""
    if by.is_coordinator:
        return None
    if by.is_council:
        return None if authority.pk == by.authority_id else "You can only submit returns for your own authority."
    return "Only councils and the workforce coordinator submit workforce returns."


def _submission(*, by, authority, period_end, permanent_fte, agency_fte, vacancies_fte, leavers_fte, absence_rate=None):
    """What a submission writes over the return of (`authority`, `period_end`), created or resubmitted: its figures and
    who submitted it (`submitted_at` is set on every save); or ValidationError when `by` may not submit it."""
    if refusal := submit_refusal(by=by, authority=authority):
        raise ValidationError({"authority": refusal})
    return {
        "permanent_fte": permanent_fte,
        "agency_fte": agency_fte,
        "vacancies_fte": vacancies_fte,
        "leavers_fte": leavers_fte,
        "absence_rate": absence_rate,
        "submitted_by": by,
    }


@transaction.atomic
def workforce_return_submit(
    *, authority, period_end, permanent_fte, agency_fte, vacancies_fte, leavers_fte, absence_rate=None, by
) -> tuple[WorkforceReturn, bool]:
    """Store the return of `authority` for `period_end`: created, or replacing the figures of the one there.

    Returns (the return, whether it is new).
    """
    written = _submission(
        by=by,
        authority=authority,
        period_end=period_end,
        permanent_fte=permanent_fte,
        agency_fte=agency_fte,
        vacancies_fte=vacancies_fte,
        leavers_fte=leavers_fte,
        absence_rate=absence_rate,
    )
    with changed_by(by):
        # update_or_create locks the existing row (or retries on the unique constraint), so two submissions of the
        # same period end one after the other instead of colliding.
        return WorkforceReturn.objects.update_or_create(authority=authority, period_end=period_end, defaults=written)


@transaction.atomic
def workforce_returns_submit(*, returns: list[dict], by) -> tuple[int, int]:
    """Store many returns as `workforce_return_submit` stores each (the same refusal, the same fields replaced on a
    resubmission, the same history), in one statement: the upload of a file of returns.

    `returns`: dicts of that service's arguments but `by`. Returns (created, resubmitted). Any return `by` may not
    submit, or two for one authority and period end, is a ValidationError and nothing is stored.
    """
    objects, seen = [], set()
    for submission in returns:
        authority, period_end = submission["authority"], submission["period_end"]
        if (authority.pk, period_end) in seen:
            raise ValidationError({"period_end": f"two returns of {authority} for {period_end:%d/%m/%Y}"})
        seen.add((authority.pk, period_end))
        written = _submission(by=by, **submission)
        objects.append(WorkforceReturn(authority=authority, period_end=period_end, **written))
    if not objects:
        return 0, 0
    # Locked, so the count of resubmissions is of rows this statement updates (a return first submitted meanwhile by
    # someone else is still updated, not a crash, but counted as new).
    existing = WorkforceReturn.objects.select_for_update().filter(
        authority__in={authority for authority, _ in seen}, period_end__in={period_end for _, period_end in seen}
    )
    resubmitted = len(seen.intersection(existing.values_list("authority_id", "period_end")))
    with changed_by(by):
        # INSERT ... ON CONFLICT DO UPDATE of the fields update_or_create writes; the history triggers see both.
        WorkforceReturn.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["authority", "period_end"],
            update_fields=[*written, "submitted_at"],
        )
    return len(objects) - resubmitted, resubmitted
