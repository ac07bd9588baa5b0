"""Breach pages: the queue (filters, sorting, counts by status, bulk assign and status change), a case's page (its
evidence, timeline, notes and the coordinator's controls) and the manual report.

The same queue serves everyone, scoped by `visible_to`: the coordinator and analysts see the region, a council its
authority, an agency its own cases (with fewer controls). A case outside the user's scope is a 404. Every write is a
service of `compliance.breaches`; its refusal is shown as a message and nothing changes.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.decorators import coordinator_required, role_required
from agencies.models import Agency
from compliance import breaches as services
from compliance.filters import SORTS, UNRESOLVED, BreachQueueFilterSet
from compliance.models import AuditRun, Breach, BreachLine
from futuresocial.forms import add_service_errors
from futuresocial.history import history_url
from futuresocial.once import AlreadyRecorded
from futuresocial.scoping import visible_to
from placements.models import Placement

PAGE_SIZE = 50
LINES_PAGE_SIZE = 50
TIMELINE_EVENTS = 50  # the latest events of a case on its page; the history page has them all
Status = Breach.Status


def _breaches(user):
    """The cases `user` may see, with what the queue shows of each (no query per row)."""
    return visible_to(
        Breach.objects.select_related(
            "agency", "authority", "placement__worker", "placement__role", "mou_version", "assignee"
        ),
        user,
    )


# --- The queue


class BulkActionForm(forms.Form):
    """The coordinator's action on the cases ticked in the queue: assign them, or move them to a status."""

    breaches = forms.ModelMultipleChoiceField(
        queryset=Breach.objects.none(), error_messages={"required": "Tick at least one breach case first."}
    )
    action = forms.ChoiceField(choices=[("assign", "Assign"), ("status", "Change status")])
    assignee = forms.ModelChoiceField(
        queryset=services.assignable_users(), to_field_name="username", required=False, empty_label="Nobody"
    )
    status = forms.ChoiceField(choices=[("", "Choose a status"), *Status.choices], required=False)
    reason = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["breaches"].queryset = visible_to(Breach.objects.all(), user).order_by("pk")

    def clean(self):
        data = super().clean()
        if data.get("action") == "status" and not data.get("status"):
            self.add_error("status", "Choose the status to move the cases to.")
        return data


@login_required
def breach_queue(request):
    user = request.user
    coordinators = list(services.assignable_users()) if not user.is_agency else []
    filters = BreachQueueFilterSet(
        request.GET or None,
        queryset=_breaches(user).order_by("-detected_at", "-id"),
        user=user,
        coordinators=coordinators,
    )
    counts = filters.status_counts()
    chosen = filters.form.cleaned_data if filters.is_bound and filters.is_valid() else {}
    # The page count is one of the status counts just made (or their sum): not a second count of every case.
    status = chosen.get("status") or ""
    if status == UNRESOLVED:
        listed = sum(n for s, n in counts.items() if s not in Breach.CLOSED_STATUSES)
    else:
        listed = counts[status] if status else sum(counts.values())
    valid = not filters.is_bound or filters.is_valid()  # a refused filter: the status counts are of every case
    paginator = CountedPaginator(filters.qs, PAGE_SIZE, count=listed) if valid else Paginator(filters.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    filtered = bool(filters.is_bound and any(v for k, v in filters.form.cleaned_data.items() if k != "sort"))
    return render(
        request,
        "compliance/breach_queue.html",
        {
            "filter": filters,
            "page": page,
            "filtered": filtered,
            "status_counts": [(s, label, counts[s]) for s, label in Status.choices],
            "counts_total": sum(counts.values()),
            "counts_unresolved": sum(n for s, n in counts.items() if s not in Breach.CLOSED_STATUSES),
            "chosen_status": chosen.get("status") or "",
            "sort": chosen.get("sort") or SORTS[0][0],
            "may_bulk": user.is_coordinator,
            "may_report": user.is_coordinator or user.is_council,
            "coordinators": coordinators,
            "statuses": Status.choices,
            "sorts": SORTS,
            # Asked only by an empty queue (the template calls it): has any audit finished yet?
            "audit_has_run": AuditRun.objects.filter(status=AuditRun.Status.FINISHED).exists,
        },
    )


class CountedPaginator(Paginator):
    """A paginator told how many rows its list holds (counted already), so it does not count them again."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count


def _back_to_queue(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("compliance:breaches")


def _numbers(breaches) -> str:
    return ", ".join(str(b.pk) for b in breaches)


def _cases(n: int) -> str:
    return f"{n} breach case{'s' if n != 1 else ''}"


@coordinator_required
@require_POST
def breach_bulk(request):
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_to_queue(request)
    chosen, data = list(form.cleaned_data["breaches"]), form.cleaned_data
    try:
        if data["action"] == "assign":
            assignee = data["assignee"]
            result = services.breaches_bulk_assign(breaches=chosen, assignee=assignee, by=request.user)
            whom = f"assigned to {assignee.username}" if assignee else "left unassigned"
        else:
            result = services.breaches_bulk_set_status(
                breaches=chosen, status=data["status"], by=request.user, reason=data["reason"]
            )
            whom = f"moved to {Status(data['status']).label.lower()}"
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back_to_queue(request)
    if result["moved"]:
        messages.success(request, f"{_cases(len(result['moved']))} {whom}: {_numbers(result['moved'])}.")
    if result["unchanged"]:
        messages.info(
            request,
            f"{_cases(len(result['unchanged']))} already so, left as they were: {_numbers(result['unchanged'])}.",
        )
    return _back_to_queue(request)


# --- A case's page


def _breach_or_404(user, pk):
    return get_object_or_404(
        visible_to(
            Breach.objects.select_related(
                "agency",
                "authority",
                "placement__worker",
                "placement__role",
                "placement__authority",
                "mou_version",
                "assignee",
                "reported_by",
            ),
            user,
        ),
        pk=pk,
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[])
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to dismiss a case; for any other move it joins the timeline as a note.",
    )

    def __init__(self, *args, breach, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, Status(s).label) for s in services.allowed_moves(breach)]


class NoteForm(forms.Form):
    text = forms.CharField(label="Add a note", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


@login_required
def breach_detail(request, pk):
    user = request.user
    breach = _breach_or_404(user, pk)
    lines = Paginator(
        BreachLine.objects.filter(breach=breach).select_related("line").order_by("line__date", "id"),
        LINES_PAGE_SIZE,
    ).get_page(request.GET.get("lines"))
    timeline, timeline_cut = services.breach_timeline(breach=breach, user=request.user, limit=TIMELINE_EVENTS)
    corrective_actions = visible_to(breach.corrective_actions.all(), user).order_by("-created_at", "-id")
    suspensions = visible_to(breach.suspensions.all(), user).order_by("-starts_on", "-id")
    today = timezone.localdate()
    coordinator = user.is_coordinator
    return render(
        request,
        "compliance/breach_detail.html",
        {
            "breach": breach,
            "rule_explained": breach.rule_explained,
            "leaver_detail": breach.leaver_detail_for(user),
            "rate_label": "Charge rate" if breach.rule == Breach.Rule.CHARGE_RATE_ABOVE_CAP else "Pay rate",
            "lines": lines,
            "timeline": timeline,
            "timeline_cut": timeline_cut,
            "history_url": history_url(breach),
            "corrective_actions": list(corrective_actions),
            "suspensions": [(s, s.is_active_on(today)) for s in suspensions],
            "may_control": coordinator,
            "status_form": StatusForm(breach=breach) if coordinator else None,
            "coordinators": list(services.assignable_users()) if coordinator else [],
            "severities": Breach.Severity.choices,
            "may_note": services.may_add_note(user, breach),
            "note_form": NoteForm(),
            "may_act": coordinator and not breach.is_closed,
            "open_age": timezone.now() - breach.detected_at,
        },
    )


def _act(request, pk, do, *, done):
    """Run `do(breach)` (a service) on a case the coordinator may see; its refusal becomes an error message."""
    breach = _breach_or_404(request.user, pk)
    try:
        do(breach)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done(breach))
    return redirect("compliance:breach-detail", pk=breach.pk)


@coordinator_required
@require_POST
def breach_status(request, pk):
    status = request.POST.get("status", "")
    return _act(
        request,
        pk,
        lambda b: services.breach_set_status(
            breach=b, status=status, by=request.user, reason=request.POST.get("reason", "")
        ),
        done=lambda b: f"Breach {b.pk} is now {b.get_status_display()}.",
    )


@coordinator_required
@require_POST
def breach_assign(request, pk):
    username = request.POST.get("assignee", "")
    if username == "me":
        username = request.user.username

    def assign(breach):
        assignee = None
        if username:
            assignee = services.assignable_users().filter(username=username).first()
            if assignee is None:
                raise ValidationError(f"{username} is not a workforce coordinator: cases go to coordinators only.")
        services.breach_assign(breach=breach, assignee=assignee, by=request.user)

    return _act(
        request,
        pk,
        assign,
        done=lambda b: f"Breach {b.pk} is " + (f"assigned to {username}." if username else "unassigned."),
    )


@coordinator_required
@require_POST
def breach_severity(request, pk):
    severity = request.POST.get("severity", "")
    return _act(
        request,
        pk,
        lambda b: services.breach_set_severity(breach=b, severity=severity, by=request.user),
        done=lambda b: f"Breach {b.pk} is now {b.get_severity_display()}.",
    )


@login_required
@require_POST
def breach_note(request, pk):
    breach = _breach_or_404(request.user, pk)
    form = NoteForm(request.POST)
    if not services.may_add_note(request.user, breach):
        raise PermissionDenied("Only the coordinator, the council where the case sits and the agency can add notes.")
    if form.is_valid():
        services.breach_note_add(breach=breach, text=form.cleaned_data["text"], by=request.user)
        messages.success(request, "Your note is in the case's timeline.")
    else:
        messages.error(request, "Write the note before adding it.")
    return redirect("compliance:breach-detail", pk=breach.pk)


# --- Manual report


reporter_required = role_required(
    lambda user: user.is_coordinator or (user.is_council and user.authority_id is not None),
    denial="Only the workforce coordinator or a council can report a breach.",
)


class ManualBreachForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.order_by("name"), empty_label="Choose the agency")
    placement = forms.IntegerField(
        label="Placement number",
        required=False,
        min_value=1,
        help_text="If the breach is about one placement: its number, from the placement's page.",
    )
    severity = forms.ChoiceField(
        choices=Breach.Severity.choices,
        initial=Breach.Severity.MINOR,
        help_text="Serious: a breach that may lead to a suspension.",
    )
    description = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text="Who, when, and which part of the MoU it goes against (e.g. an agency approached a worker in post).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_council:
            self.fields[
                "placement"
            ].help_text = (
                f"If the breach is about one placement at {user.authority}: its number, from the placement's page."
            )

    def clean_placement(self):
        number = self.cleaned_data.get("placement")
        if number is None:
            return None
        placement = visible_to(Placement.objects.select_related("agency"), self.user).filter(pk=number).first()
        if placement is None:
            if self.user.is_council:
                raise forms.ValidationError(f"Placement {number} is not a placement at your authority.")
            raise forms.ValidationError(f"There is no placement {number}.")
        return placement


@reporter_required
def breach_report(request):
    initial = {}
    if request.method == "GET" and request.GET.get("placement", "").isdigit():
        placement = visible_to(Placement.objects.all(), request.user).filter(pk=request.GET["placement"]).first()
        if placement is not None:
            initial = {"placement": placement.pk, "agency": placement.agency_id}
    form = ManualBreachForm(request.POST or None, user=request.user, initial=initial)
    if form.is_valid():
        try:
            breach = services.breach_report_manual(by=request.user, **form.cleaned_data)
        except AlreadyRecorded as repeat:
            # A double click (or the form sent again): one case, answered with the one stored.
            messages.info(request, f"This is already reported as breach {repeat.existing.pk}: here it is.")
            return redirect("compliance:breach-detail", pk=repeat.existing.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            told = " The coordinator has been told." if request.user.is_council else ""
            messages.success(request, f"Breach {breach.pk} is reported and open in the queue.{told}")
            return redirect("compliance:breach-detail", pk=breach.pk)
    return render(request, "compliance/breach_report.html", {"form": form})
