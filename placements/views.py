"""The agency portal's pages: placements, a week's timesheet, the upload of a timesheet file, and the cap check.

Views are thin: every queryset goes through `visible_to` (another tenant's placement is a 404), role checks are the
decorators of `accounts.decorators`, and every write is a service (`placement_register`, `timesheet_submit`,
`timesheet_upload`) whose refusals are shown on the form.
"""

import csv
import logging
import secrets
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from redis.exceptions import RedisError

from accounts.decorators import agency_user_required, coordinator_required, regional_required
from futuresocial.forms import add_service_errors
from futuresocial.scoping import visible_to
from futuresocial.uploads import UploadRejected
from mou.selectors import cap_check, version_in_force
from placements.booking import booking_check
from placements.filters import PlacementListFilterSet
from placements.forms import (
    CapCheckForm,
    ConfirmDroppedDaysForm,
    PlacementForm,
    ReferenceForm,
    RegistrationReferencesFormSet,
    TimesheetUploadForm,
    TimesheetWeekFormSet,
    VerifyQualificationForm,
    WeekPickerForm,
)
from placements.models import CURRENT_LINES, Placement, Timesheet, TimesheetLine, Worker
from placements.selectors import claims_of, dropped_weeks, lines_over_cap, qualification_conflicts
from placements.services import (
    PlacementExists,
    agency_refusal,
    placement_register,
    placement_repeats,
    reference_record,
    worker_qualification_verify,
)
from placements.timesheets import TimesheetRejected, timesheet_submit, week_ending_of
from placements.timesheets.values import last_full_week_ending
from placements.uploads import DropsNeedConfirmation
from placements.uploads import timesheet_upload as upload_service

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
UPLOAD_COLUMNS = ["placement", "swe_number", "authority", "date", "hours", "pay_rate", "charge_rate"]


def _placements(user):
    """The placements `user` may see, with what every list and page shows of them (no query per row)."""
    return visible_to(Placement.objects.select_related("agency", "authority", "role", "worker"), user)


# --- Placements


@login_required
def placement_list(request):
    placements = _placements(request.user).order_by("-start_date", "-id")
    filters = PlacementListFilterSet(request.GET or None, queryset=placements, user=request.user)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/placement_list.html",
        {
            "filter": filters,
            "page": page,
            "filtered": any(request.GET.get(name) for name in filters.filters),
            "today": timezone.localdate(),
            "may_register": request.user.is_agency and request.user.agency.may_register_placements,
        },
    )


@agency_user_required
def placement_new(request):
    agency = request.user.agency
    if not agency.may_register_placements:
        # Refused before any form is shown or read; placement_register refuses too, under a lock, should a
        # suspension land between this check and the insert.
        return render(
            request,
            "placements/placement_refused.html",
            {"refusal": agency_refusal(agency), "agency": agency},
            status=403 if request.method == "POST" else 200,
        )
    form = PlacementForm(request.POST or None)
    # A post without the references' rows (a script, an old form) records none.
    sent = request.method == "POST" and "references-TOTAL_FORMS" in request.POST
    references = RegistrationReferencesFormSet(request.POST if sent else None, prefix="references")
    context = {"form": form, "references": references, "agency": agency}
    valid = request.method == "POST" and form.is_valid() & (not sent or references.is_valid())
    given = [ref for ref in (row.reference() for row in references) if ref] if valid and sent else []
    if valid and request.POST.get("check"):
        # The booking check: every rule's answer, nothing stored; the form stays filled in to register.
        booking = booking_check(agency=agency, references=given, **form.cleaned_data)
        return render(request, "placements/placement_form.html", {**context, "booking": booking})
    if valid:
        try:
            placement = placement_register(agency=agency, references=given, by=request.user, **form.cleaned_data)
        except PlacementExists as exists:
            if placement_repeats(exists.placement, **form.cleaned_data):
                # A double click (or the form sent again): one submission, answered with what it stored.
                messages.info(request, "This placement was already registered: here it is.")
                return redirect("placements:detail", pk=exists.placement.pk)
            add_service_errors(form, exists, PlacementForm.SERVICE_FIELDS)
        except ValidationError as error:
            add_service_errors(form, error, PlacementForm.SERVICE_FIELDS)
        else:
            messages.success(request, f"Placement registered: {placement.worker} as {placement.role.name}.")
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/placement_form.html", context)


@agency_user_required
@require_POST
def placement_check_live(request):
    """The booking check as the registration form is filled in (static/js/booking-check.js): the answer's markup
    once the form holds a whole placement, nothing before. Stores nothing."""
    form = PlacementForm(request.POST)
    sent = "references-TOTAL_FORMS" in request.POST
    references = RegistrationReferencesFormSet(request.POST if sent else None, prefix="references")
    if not (form.is_valid() and (not sent or references.is_valid())):
        return render(request, "placements/_booking_check.html", {"booking": None})
    given = [ref for ref in (row.reference() for row in references) if ref] if sent else []
    booking = booking_check(agency=request.user.agency, references=given, **form.cleaned_data)
    return render(request, "placements/_booking_check.html", {"booking": booking})


@login_required
def placement_detail(request, pk):
    placement = get_object_or_404(_placements(request.user), pk=pk)
    timesheets = list(
        placement.timesheets.annotate(
            # Only the current revision's lines count; superseded lines are history.
            total_hours=Sum("lines__hours", filter=CURRENT_LINES),
            lines_count=Count("lines", filter=CURRENT_LINES),
        )
        .prefetch_related(Prefetch("lines", queryset=TimesheetLine.objects.order_by("date", "id"), to_attr="all_lines"))
        .order_by("-week_ending")
    )
    for timesheet in timesheets:
        timesheet.current = [line for line in timesheet.all_lines if line.revision == timesheet.revision]
    breaches = visible_to(placement.breaches.all(), request.user).order_by("-detected_at", "-id")
    check = cap_check(
        role=placement.role,
        on=placement.start_date,
        pay_rate=placement.pay_rate,
        charge_rate=placement.charge_rate,
        engagement_type=placement.engagement_type,
        on_costs=placement.on_costs,
    )
    verdict = cap_verdict(check=check, role=placement.role, charge_rate=placement.charge_rate)
    return render(
        request,
        "placements/placement_detail.html",
        {
            "placement": placement,
            "timesheets": timesheets,
            "breaches": breaches,
            "verdict": verdict,
            "today": timezone.localdate(),
            "may_submit": request.user.is_agency,
            "references": placement.references.all(),
            "may_add_reference": _may_add_reference(request.user, placement),
            "version": version_in_force(on=placement.start_date),
            "cap_exceptions": placement.cap_exceptions.order_by("valid_from", "id"),
            "may_record_exception": request.user.is_coordinator or request.user.is_council,
        },
    )


def _may_add_reference(user, placement) -> bool:
    return user.is_coordinator or (user.is_agency and user.agency_id == placement.agency_id)


@login_required
def reference_new(request, pk):
    """Record a practice-based reference for a placement's worker: its agency, or the coordinator."""
    placement = get_object_or_404(_placements(request.user), pk=pk)
    if not _may_add_reference(request.user, placement):
        raise PermissionDenied("Only the placement's agency or the coordinator can record its references.")
    form = ReferenceForm(request.POST if request.method == "POST" else None, required=True)
    if request.method == "POST" and form.is_valid():
        try:
            reference = reference_record(placement=placement, reference=form.reference(), by=request.user)
        except ValidationError as error:
            add_service_errors(form, error, {})
        else:
            messages.success(request, f"Reference from {reference.referee} recorded.")
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/reference_form.html", {"form": form, "placement": placement})


# --- Timesheets


def _week_ending(request, placement):
    """The week the timesheet form is about: the one asked for (snapped to its Sunday), else the latest week of the
    placement that has ended, else its first week."""
    picker = WeekPickerForm(request.POST if request.method == "POST" else request.GET)
    if picker.is_valid():
        asked = picker.cleaned_data["week_ending"]
        week_ending = week_ending_of(asked)
        if week_ending != asked and request.method == "GET":
            messages.info(request, f"Weeks end on a Sunday: showing the week ending {week_ending:%A %d %B %Y}.")
        return week_ending
    last_sunday = week_ending_of(timezone.localdate()) - timedelta(days=7)
    if placement.end_date:
        last_sunday = min(last_sunday, week_ending_of(placement.end_date))
    return max(last_sunday, week_ending_of(placement.start_date))


@agency_user_required
def timesheet_new(request, pk):
    placement = get_object_or_404(_placements(request.user), pk=pk)
    week_ending = _week_ending(request, placement)
    days = [week_ending - timedelta(days=6 - i) for i in range(7)]
    existing = Timesheet.objects.filter(placement=placement, week_ending=week_ending).first()
    current = {line.date: line for line in existing.current_lines()} if existing else {}
    initial = [
        {"hours": current[day].hours, "pay_rate": current[day].pay_rate, "charge_rate": current[day].charge_rate}
        if day in current
        else {"hours": None, "pay_rate": placement.pay_rate, "charge_rate": placement.charge_rate}
        for day in days
    ]
    formset = TimesheetWeekFormSet(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        # Days left without hours are not submitted; `rows` remembers which row of the form each line came from.
        rows = [i for i, form in enumerate(formset) if form.cleaned_data.get("hours")]
        lines = [{"date": days[i], **formset[i].cleaned_data} for i in rows]
        try:
            timesheet = timesheet_submit(placement=placement, week_ending=week_ending, lines=lines, by=request.user)
        except TimesheetRejected as rejected:
            _show_line_errors(formset, rejected, rows=rows)
        else:
            revised = f" as revision {timesheet.revision}; the earlier lines are kept in history" * (
                timesheet.revision > 1
            )
            messages.success(request, f"Timesheet for the week ending {week_ending:%d %B %Y} stored{revised}.")
            over = lines_over_cap(timesheet)
            if over:
                messages.warning(request, _over_cap_message(over))
            return redirect("placements:detail", pk=placement.pk)
    return render(
        request,
        "placements/timesheet_form.html",
        {
            "placement": placement,
            "week_ending": week_ending,
            "picker": WeekPickerForm(initial={"week_ending": week_ending}),
            "rows": [
                {"day": day, "form": form, "in_placement": placement.covers(day)}
                for day, form in zip(days, formset, strict=True)
            ],
            "formset": formset,
            "existing": existing,
            "previous_week": week_ending - timedelta(days=7),
            "next_week": week_ending + timedelta(days=7),
        },
    )


def _over_cap_message(over) -> str:
    """The days of a stored week above the cap, in words; the audit opens the case."""
    days = []
    for line in over:
        parts = []
        if line.pay_excess:
            parts.append(f"pay £{line.pay_excess}/h over the £{line.max_pay_rate}/h cap")
        if line.charge_excess:
            parts.append(f"charge £{line.charge_excess}/h over the £{line.max_charge_rate}/h charge cap")
        days.append(f"{line.day:%a %-d %b}: {' and '.join(parts)}")
    count = f"{len(over)} day{'s' if len(over) > 1 else ''} of this week {'are' if len(over) > 1 else 'is'}"
    return f"{count} above the MoU's cap ({'; '.join(days)}). The audit will open a breach case for them."


def _show_line_errors(formset, rejected, *, rows):
    """Put each of `timesheet_submit`'s refusals on the row of the form it is about (`line` n is the n-th line
    sent, i.e. the form's row `rows[n - 1]`); refusals of the week as a whole go above the table."""
    week_errors = []
    for error in rejected.errors:
        if error["line"] is None:
            week_errors.append(_sentence(error["message"]))
            continue
        form = formset[rows[error["line"] - 1]]
        field = error["field"] if error["field"] in form.fields else None
        form.add_error(field, _sentence(error["message"]))
    if week_errors:
        formset._non_form_errors = formset.error_class(week_errors)


def _sentence(message):
    return message[:1].upper() + message[1:]


# A file that would drop days is held here between the warning and the person's confirmation, keyed by the user and
# a token the page carries: in the cache every web worker shares (Redis), so the confirmation may reach another.
PENDING_UPLOAD_SECONDS = 60 * 60


def _pending_key(user, token: str) -> str:
    return f"timesheet-upload:{user.pk}:{token}"


@agency_user_required
def timesheet_upload(request):
    """The upload page. A file that would drop days from weeks already submitted (lines on days it has no line for)
    is not stored: the page warns, naming the days, and holds the file (`PENDING_UPLOAD_SECONDS`) until the person
    ticks that they understand; the confirmation stores exactly the days it showed, or warns again if the weeks
    changed since. A file that drops no day is stored at once. A refused file answers 400 listing its rows, as
    `futuresocial.uploads.upload_page` does for the workforce upload."""
    context = {"columns": UPLOAD_COLUMNS, "result": None, "rejected": None, "pending": None, "confirm_form": None}
    form = TimesheetUploadForm()
    status = 200
    if request.method == "POST" and "pending" in request.POST:
        confirm_form = ConfirmDroppedDaysForm(request.POST)
        token = request.POST.get("pending", "")
        held = _held(request.user, token)
        if held is not None and held.get("stored"):
            # The confirmation sent twice (a double click): the first stored the file.
            messages.info(request, "That file was stored when you first confirmed: nothing more was done.")
        elif held is None:
            context["lost"] = (
                "The file you checked is no longer held (it is kept for an hour, for the person who sent it): "
                "upload it again."
            )
            status = 400
        elif not confirm_form.is_valid():
            context.update(pending=_pending(held["result"]), confirm_form=confirm_form)
            status = 400
        else:
            status = _upload(request, context, held["file"], confirmed=confirm_form.cleaned_data["digest"], token=token)
    elif request.method == "POST":
        form = TimesheetUploadForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            status = _upload(request, context, file, confirmed="", token=secrets.token_urlsafe(24))
        else:
            status = 400
    return render(request, "placements/timesheet_upload.html", {**context, "form": form}, status=status)


def _held(user, token: str):
    """The upload `user` was asked to confirm under `token`, or None (unknown, expired, or the cache is down)."""
    if not 0 < len(token) <= 64:
        return None
    try:
        return cache.get(_pending_key(user, token))
    except (RedisError, OSError) as error:
        logger.warning("Held upload not read: the cache did not answer (%s)", error)
        return None


def _upload(request, context: dict, file, *, confirmed: str, token: str) -> int:
    """Run the upload asking before dropping days; fill `context` with its result, refusal or warning; the status."""
    if isinstance(file, bytes):
        file = ContentFile(file, name="upload")
    try:
        result = upload_service(file=file, user=request.user, ask_before_dropping=True, confirmed=confirmed)
    except UploadRejected as rejected:
        context["rejected"] = rejected
        return 400
    except DropsNeedConfirmation as asked:
        file.seek(0)
        held = {"file": file.read(), "result": asked.result}
        try:
            cache.set(_pending_key(request.user, token), held, PENDING_UPLOAD_SECONDS)
        except (RedisError, OSError) as error:
            logger.warning("Upload not held for confirmation: the cache did not answer (%s)", error)
            context["lost"] = (
                "The file drops days from weeks already submitted, and it cannot be held while you check them "
                "just now: nothing was stored. Try again in a few minutes."
            )
            return 503
        context["pending"] = _pending(asked.result, changed=bool(confirmed))
        context["confirm_form"] = ConfirmDroppedDaysForm(initial={"pending": token, "digest": asked.digest})
        return 200
    try:
        if confirmed:  # the held copy gives way to a mark, so that the same confirmation sent again stores nothing
            cache.set(_pending_key(request.user, token), {"stored": True}, PENDING_UPLOAD_SECONDS)
    except (RedisError, OSError) as error:  # stored already; the held copy expires by itself
        logger.warning("Held upload not released: the cache did not answer (%s)", error)
    context["result"] = result
    context["dropped_weeks"] = dropped_weeks(result)
    return 200


def _pending(result, *, changed: bool = False) -> dict:
    more = result.lines_dropped - len(result.dropped_lines)  # beyond the lines listed
    return {"weeks": dropped_weeks(result), "result": result, "changed": changed, "more": more}


@agency_user_required
def timesheet_upload_template(request):
    """A CSV template: the header and one example week of a placement of the agency's that worked last week (or of
    its latest one), only on days within that placement, so the file is accepted as downloaded."""
    visible = visible_to(Placement.objects.select_related("worker", "authority"), request.user)
    sunday = last_full_week_ending(timezone.localdate())
    monday = sunday - timedelta(days=6)
    latest = ("-start_date", "-id")
    placement = (
        visible.active_between(monday, sunday).order_by(*latest).first()
        or visible.filter(start_date__lte=sunday).order_by(*latest).first()
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="timesheet-template.csv"'
    writer = csv.writer(response)
    writer.writerow(UPLOAD_COLUMNS)
    if placement is None:  # nothing to fill it with: an example of the shape only
        for offset in range(5):
            day = (monday + timedelta(days=offset)).isoformat()
            writer.writerow([123, "SW123456", "Solihull", day, "7.50", "30.00", "40.00"])
        return response
    # The placement's last week up to last week, Monday to Friday within its dates.
    last_day = min(placement.end_date or sunday, sunday)
    week_monday = week_ending_of(last_day) - timedelta(days=6)
    for offset in range(5):
        day = week_monday + timedelta(days=offset)
        if placement.start_date <= day <= last_day:
            writer.writerow(
                [
                    placement.pk,
                    placement.worker.swe_number,
                    placement.authority.name,
                    day.isoformat(),
                    "7.50",
                    placement.pay_rate,
                    placement.charge_rate,
                ]
            )
    return response


# --- Cap check


@login_required
def cap_check_page(request):
    """Is a rate within the cap? Works without JavaScript (a GET form answered here); cap-check.js answers as
    the user types, through the API."""
    form = CapCheckForm(request.GET or None, initial={"date": timezone.localdate()})
    verdict = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        check = cap_check(
            role=data["role"],
            on=data["date"],
            pay_rate=data["pay_rate"],
            charge_rate=data["charge_rate"],
            engagement_type=data["engagement_type"] or None,
        )
        verdict = cap_verdict(check=check, role=data["role"], charge_rate=data["charge_rate"])
    return render(request, "placements/cap_check.html", {"form": form, "verdict": verdict})


def cap_verdict(*, check, role, charge_rate=None):
    """The answer of `cap_check` in words (static/js/cap-check.js words the API's answer the same way)."""
    if not role.capped:
        return {"within": True, "pay": f"No cap for this role: {role.name} is above team manager, outside the MoU."}
    if check.applicable is None:
        return {"within": True, "pay": "No MoU version was in force on that date, so no cap applies."}
    version = check.applicable.version.name
    if check.applicable.cap is None:
        return {"within": True, "pay": f"No cap for this role in the {version}."}
    verdict = {"within": check.within_cap, "version": version}
    verdict["pay"] = _against(check.pay_excess, check.applicable.max_pay_rate, "cap", version)
    if charge_rate is not None:
        if check.applicable.max_charge_rate is None:
            verdict["charge"] = f"No charge cap for this role ({version})."
        else:
            verdict["charge"] = _against(check.charge_excess, check.applicable.max_charge_rate, "charge cap", version)
    return verdict


def _against(excess, cap, what, version):
    if excess > 0:
        return f"£{excess:,.2f}/h over the £{cap:,.2f}/h {what} ({version})"
    return f"within the £{cap:,.2f}/h {what} ({version})"


# --- The coordinator's page of conflicting claims about workers


@regional_required
def qualification_conflicts_page(request):
    """Workers whose agencies claim different qualification dates: each agency's claim, and the verified date (the
    coordinator sets it here; it then judges all of the worker's placements)."""
    unsettled = request.GET.get("show") != "all"
    page = Paginator(qualification_conflicts(unsettled_only=unsettled), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/qualification_conflicts.html",
        {
            "page": page,
            "conflicts": claims_of(page.object_list),
            "unsettled": unsettled,
            "form": VerifyQualificationForm(),
        },
    )


@coordinator_required
@require_POST
def qualification_verify(request, pk):
    worker = get_object_or_404(Worker, pk=pk)
    form = VerifyQualificationForm(request.POST)
    if form.is_valid():
        try:
            worker_qualification_verify(worker=worker, qualified_on=form.cleaned_data["qualified_on"], by=request.user)
        except ValidationError as error:
            messages.error(request, f"{worker.swe_number}: {' '.join(error.messages)}")
        else:
            messages.success(
                request,
                f"{worker.swe_number}'s qualification date is verified as "
                f"{form.cleaned_data['qualified_on']:%-d %B %Y}: the audit judges their placements again by it.",
            )
    else:
        errors = "; ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"{worker.swe_number}: {errors}")
    return redirect("placements:qualification-conflicts")
