"""One record per intent (issue 17): a record a person sends twice, in a row or at once (a double click, a client's
retry), is stored once. Each model says what "the same" is with a unique constraint; `create_once` answers a repeat
with the record already stored, as `AlreadyRecorded`, whether it finds it first or the constraint refuses the second
insert of two racing requests."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction


class AlreadyRecorded(ValidationError):
    """The record asked for is already stored: `existing`. A page shows it; the API answers 400 naming it."""

    def __init__(self, existing, message: str):
        self.existing = existing
        super().__init__(message, code="already_recorded")


def create_once(model, *, identity: dict, create, message):
    """`create()`'s new record, unless one with `identity` (the fields of the model's unique constraint) is stored:
    then `AlreadyRecorded(existing, message(existing))`. `create` runs in a savepoint, so the constraint's refusal
    leaves the caller's transaction usable; the row that won is committed by then (PostgreSQL waits for it)."""
    existing = model.objects.filter(**identity).first()
    if existing is None:
        try:
            with transaction.atomic():
                return create()
        except IntegrityError:
            existing = model.objects.filter(**identity).first()
            if existing is None:
                raise
    raise AlreadyRecorded(existing, message(existing))


REPEATED = "Stored twice before one record per intent was enforced: the record this one repeats (kept for review)"


def duplicate_of_field(help_text: str = REPEATED):
    """The column marking a row stored twice before its model's one-record-per-intent constraint (the migrations
    mark later duplicates instead of failing on them); the constraint covers only rows without it."""
    return models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=help_text,
    )
