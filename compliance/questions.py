"""The log of queries about the MoU (SPEC §3 Query, §5 "a log of queries and answers").

A query is a question from a social worker, an agency or a council, and the coordinator's answer. The coordinator
records the ones that come by email or phone (`query_record`); an agency asks through its portal (`query_ask`), and
the coordinators are emailed; the coordinator answers (`query_answer`), and an agency that asked is emailed the
answer. Who sees a query is the model's `scope`: the region all, an agency the queries it asked, a council none (a
query carries no authority: a council's question is answered to the council directly, by the channel it came by).

A social worker's or a council's query is never tied to an agency: the agency would then read it in its portal, and
a social worker asking about an agency's conduct must not be shown to that agency.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import agency_addresses, coordinator_addresses, notify, site_url
from accounts.permissions import require_coordinator
from compliance.models import Query
from futuresocial.history import changed_by
from futuresocial.once import create_once

Asker = Query.Asker
Channel = Query.Channel


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


@transaction.atomic
def query_record(
    *, asked_by_kind: str, asked_by_name: str, agency=None, channel: str, subject: str, question: str, by
) -> Query:
    """The coordinator records a query that came by email or phone (an agency's, a social worker's or a council's).

    An agency's query names the agency (which then reads it, and its answer, in its portal); nobody else's does.
    """
    require_coordinator(by, "record a query")
    if asked_by_kind not in Asker.values:
        raise ValidationError({"asked_by_kind": "Say who asked: a social worker, an agency or a council."})
    if channel not in (Channel.EMAIL, Channel.PHONE):
        raise ValidationError({"channel": "A query you record came by email or phone; agencies ask in the portal."})
    if asked_by_kind == Asker.AGENCY and agency is None:
        raise ValidationError({"agency": "Name the agency that asked: it will read the answer in its portal."})
    if asked_by_kind != Asker.AGENCY and agency is not None:
        asker = Asker(asked_by_kind).label.lower()
        raise ValidationError(
            {"agency": f"Only an agency's own query names an agency (it would read a {asker}'s query in its portal)."}
        )
    return _create(
        asked_by_kind=asked_by_kind,
        asked_by_name=_required(asked_by_name, "asked_by_name", "Give the name of the person who asked."),
        agency=agency,
        channel=channel,
        subject=subject,
        question=question,
        by=by,
    )


@transaction.atomic
def query_ask(*, subject: str, question: str, by) -> Query:
    """An agency user asks the coordinator a question through the portal; every coordinator is emailed."""
    if by is None or not getattr(by, "is_agency", False) or by.agency_id is None:
        raise PermissionDenied("Only an agency's own users ask through the portal.")
    query = _create(
        asked_by_kind=Asker.AGENCY,
        asked_by_name=str(by),
        agency=by.agency,
        channel=Channel.PORTAL,
        subject=subject,
        question=question,
        by=by,
    )
    notify(to=coordinator_addresses(), template="query_asked", context=_email_context(query))
    return query


def _create(*, asked_by_kind, asked_by_name, agency, channel, subject, question, by) -> Query:
    query = Query(
        asked_by_kind=asked_by_kind,
        asked_by_name=asked_by_name,
        agency=agency,
        channel=channel,
        subject=_required(subject, "subject", "Give the query a subject, e.g. 'Cap for a senior practitioner'."),
        question=_required(question, "question", "Write the question."),
    )
    # The same question sent twice (a double click) is one query: one_query_per_intent.
    identity = dict(
        agency=agency, asked_by_name=query.asked_by_name, subject=query.subject, question=query.question,
        duplicate_of=None,
    )  # fmt: skip

    def save():
        # Field checks only: the unique constraint is create_once's to answer.
        query.full_clean(validate_constraints=False)
        query.save()
        return query

    with changed_by(by):
        return create_once(
            Query,
            identity=identity,
            create=save,
            message=lambda existing: f"This question is already asked: query {existing.pk}, “{existing.subject}”.",
        )


@transaction.atomic
def query_answer(*, query: Query, answer: str, by) -> Query:
    """The coordinator answers a query, or corrects an answer (the earlier one stays in history). An agency that
    asked is emailed the answer."""
    require_coordinator(by, "answer a query")
    answer = _required(answer, "answer", "Write the answer.")
    query = Query.objects.select_for_update(of=("self",)).select_related("agency").get(pk=query.pk)
    amended = bool(query.answer)
    query.answer = answer
    query.answered_by = by
    query.answered_at = timezone.now()
    with changed_by(by):
        query.save(update_fields=["answer", "answered_by", "answered_at"])
    if query.agency is not None:
        notify(
            to=agency_addresses(query.agency),
            template="query_answered",
            context={**_email_context(query), "amended": amended},
        )
    return query


def _email_context(query: Query) -> dict:
    return {"query": query, "url": site_url(reverse("compliance:query-detail", args=[query.pk]))}


# --- Reading


def query_search(
    queryset,
    *,
    text: str = "",
    asker: str = "",
    agency=None,
    answered: bool | None = None,
    channel: str = "",
    kind: str = "",
):
    """`queryset` narrowed to the queries matching: every word of `text` somewhere in the subject, the question or
    the answer; `asker` in the asker's name; the agency; answered or not; the channel; the kind of asker."""
    for word in (text or "").split():
        queryset = queryset.filter(Q(subject__icontains=word) | Q(question__icontains=word) | Q(answer__icontains=word))
    if asker:
        queryset = queryset.filter(asked_by_name__icontains=asker.strip())
    if agency is not None:
        queryset = queryset.filter(agency=agency)
    if answered is True:
        queryset = queryset.exclude(answer="")
    elif answered is False:
        queryset = queryset.filter(answer="")
    if channel:
        queryset = queryset.filter(channel=channel)
    if kind:
        queryset = queryset.filter(asked_by_kind=kind)
    return queryset
