"""Saving and removing a person's saved views of a list page (`SavedView`)."""

from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import SavedView

MAX_PER_LIST = 20
# Parameters that are not filters: the page number, and the form's own fields.
NOT_FILTERS = {"page", "csrfmiddlewaretoken", "view_name", "list_name"}


def clean_query(query: str) -> str:
    """The filters of a list's query string, without empty values or a page number, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k not in NOT_FILTERS and v]
    return urlencode(pairs)


@transaction.atomic
def saved_view_save(*, user, list_name: str, name: str, query: str) -> tuple[SavedView, bool]:
    """Save the filters `query` of the list `list_name` as `name` for `user`; a name they already use on that list
    is replaced (created is False). Refuses an unknown list, an empty or long name, no filters, or one too many."""
    if list_name not in SavedView.LISTS:
        raise ValidationError({"list_name": "That list cannot keep saved views."})
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the view a name, such as “Birmingham, oldest first”."})
    if len(name) > SavedView._meta.get_field("name").max_length:
        raise ValidationError({"name": "The name is too long: 60 characters at most."})
    query = clean_query(query)
    if not query:
        raise ValidationError({"name": "Choose some filters first: there is nothing to save in the whole list."})
    if len(query) > SavedView._meta.get_field("query").max_length:
        raise ValidationError({"name": "These filters are too long to save."})
    mine = SavedView.objects.select_for_update().filter(user=user, list_name=list_name)
    existing = mine.filter(name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing, False
    if mine.count() >= MAX_PER_LIST:
        raise ValidationError({"name": f"You have {MAX_PER_LIST} saved views of this list: remove one first."})
    return SavedView.objects.create(user=user, list_name=list_name, name=name, query=query), True


def saved_view_delete(*, user, pk: int) -> SavedView | None:
    """Remove `user`'s saved view `pk` (another person's is not theirs to remove: None)."""
    view = SavedView.objects.filter(user=user, pk=pk).first()
    if view is not None:
        view.delete()
    return view
