"""The query log's pages (compliance/questions.py holds the rules): the coordinator records and answers queries and
searches the log; an agency asks through its portal and reads its own queries and their answers. Councils have no
queries in the app (a query carries no authority; see compliance/questions.py), so these pages are not theirs.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import agency_user_required, coordinator_required, role_required
from agencies.models import Agency
from compliance.models import Query
from compliance.questions import query_answer, query_ask, query_record, query_search
from futuresocial.forms import add_service_errors
from futuresocial.once import AlreadyRecorded
from futuresocial.scoping import visible_to

PAGE_SIZE = 25

queries_readers_required = role_required(
    lambda user: user.is_regional or (user.is_agency and user.agency_id is not None),
    denial=(
        "The query log is the coordinator's, and each agency's own. A council's questions about the MoU go to the "
        "workforce coordinator by email or phone."
    ),
)


class QuerySearchForm(forms.Form):
    STATE_CHOICES = [("", "Answered or not"), ("unanswered", "Waiting for an answer"), ("answered", "Answered")]

    q = forms.CharField(label="Words in the subject, question or answer", required=False)
    asker = forms.CharField(label="Asked by (name)", required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False, empty_label="Any agency")
    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Query.Channel.choices], required=False)
    kind = forms.ChoiceField(label="Asker", choices=[("", "Anyone"), *Query.Asker.choices], required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_agency:
            # Its own queries only: who asked and which agency would only ever be itself.
            for name in ("asker", "agency", "kind"):
                del self.fields[name]


class QueryRecordForm(forms.Form):
    asked_by_kind = forms.ChoiceField(label="Who asked", choices=Query.Asker.choices, widget=forms.RadioSelect)
    asked_by_name = forms.CharField(label="Their name", max_length=120)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(),
        required=False,
        help_text="Only for an agency's query: the agency then reads it and your answer in its portal.",
    )
    channel = forms.ChoiceField(
        choices=[(Query.Channel.EMAIL, "Email"), (Query.Channel.PHONE, "Phone")], widget=forms.RadioSelect
    )
    subject = forms.CharField(max_length=200)
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))


class QueryAskForm(forms.Form):
    subject = forms.CharField(max_length=200, help_text="A few words, e.g. 'Cap for a senior social worker'.")
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))


class QueryAnswerForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))


def _queries(user):
    return visible_to(Query.objects.select_related("agency", "answered_by"), user)


@queries_readers_required
def query_list(request):
    user = request.user
    form = QuerySearchForm(request.GET or None, user=user)
    queries = _queries(user).order_by("-asked_at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        queries = query_search(
            queries,
            text=data.get("q", ""),
            asker=data.get("asker", ""),
            agency=data.get("agency"),
            answered={"answered": True, "unanswered": False}.get(data.get("state")),
            channel=data.get("channel", ""),
            kind=data.get("kind", ""),
        )
    page = Paginator(queries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/query_list.html",
        {"form": form, "page": page, "filtered": form.is_bound and any(form.cleaned_data.values())},
    )


@coordinator_required
def query_new(request):
    form = QueryRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            query = query_record(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Query recorded: “{query.subject}”. Answer it below when you can.")
            return redirect("compliance:query-detail", pk=query.pk)
    return render(request, "compliance/query_form.html", {"form": form, "asking": False})


@agency_user_required
def query_ask_page(request):
    form = QueryAskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            query = query_ask(by=request.user, **form.cleaned_data)
        except AlreadyRecorded as repeat:
            # A double click (or the form sent again): one question, answered with the one stored.
            messages.info(request, "This question was already asked: here it is.")
            return redirect("compliance:query-detail", pk=repeat.existing.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your question is with the regional workforce coordinator; you will be emailed the answer."
            )
            return redirect("compliance:query-detail", pk=query.pk)
    return render(request, "compliance/query_form.html", {"form": form, "asking": True})


@queries_readers_required
def query_detail(request, pk):
    query = get_object_or_404(_queries(request.user), pk=pk)
    form = QueryAnswerForm(initial={"answer": query.answer}) if request.user.is_coordinator else None
    return render(request, "compliance/query_detail.html", {"query": query, "form": form})


@coordinator_required
@require_POST
def query_answer_view(request, pk):
    query = get_object_or_404(_queries(request.user), pk=pk)
    form = QueryAnswerForm(request.POST)
    if form.is_valid():
        try:
            query_answer(query=query, answer=form.cleaned_data["answer"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            told = " The agency has been emailed the answer." if query.agency_id else ""
            messages.success(request, f"Answer saved.{told}")
            return redirect("compliance:query-detail", pk=query.pk)
    return render(request, "compliance/query_detail.html", {"query": query, "form": form})
