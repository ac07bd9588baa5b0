"""Writes of workforce returns: a council submits (or resubmits) its return for a period end (SPEC §3).

A resubmission replaces the figures of the return for that period end; the earlier figures stay in its history
(django-pghistory's triggers record every insert and update, with who made it).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

import pghistory

from workforce.models import WorkforceReturn


def submit_refusal(*, by, authority) -> str | None:
    """Why `by` may not submit a return for `authority`, or None: councils for their own, the coordinator any."""
    if by.is_coordinator:
        return None
    if by.is_council:
        return None if authority.pk == by.authority_id else "You can only submit returns for your own authority."
    return "Only councils and the workforce coordinator submit workforce returns."


@transaction.atomic
def workforce_return_submit(
    *, authority, period_end, permanent_fte, agency_fte, vacancies_fte, leavers_fte, absence_rate=None, by
) -> tuple[WorkforceReturn, bool]:
    """Store the return of `authority` for `period_end`: created, or replacing the figures of the one there.

    Returns (the return, whether it is new).
    """
    if refusal := submit_refusal(by=by, authority=authority):
        raise ValidationError({"authority": refusal})
    figures = dict(
        permanent_fte=permanent_fte,
        agency_fte=agency_fte,
        vacancies_fte=vacancies_fte,
        leavers_fte=leavers_fte,
        absence_rate=absence_rate,
    )
    with pghistory.context(user=by.pk):
        # update_or_create locks the existing row (or retries on the unique constraint), so two submissions of the
        # same period end one after the other instead of colliding.
        return WorkforceReturn.objects.update_or_create(
            authority=authority, period_end=period_end, defaults={**figures, "submitted_by": by}
        )
