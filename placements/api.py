"""API for placements, permanent leavers, cap exceptions and timesheets (SPEC §7)."""

import re

from django.db.models import Prefetch

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.models import User
from agencies.models import Agency
from futuresocial.api.filters import ISO_DATE_FORMAT
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    file_upload_request,
    service_errors,
    with_own_tenant,
)
from futuresocial.api.views import BaseViewSet, ServiceCreateViewSet
from mou.models import Role
from placements.booking import booking_check
from placements.filters import (
    CapExceptionFilterSet,
    PermanentLeaverFilterSet,
    PlacementFilterSet,
    ProjectTeamFilterSet,
    TimesheetFilterSet,
)
from placements.models import (
    CapException,
    PermanentLeaver,
    Placement,
    ProjectTeam,
    ProjectTeamMember,
    Reference,
    Timesheet,
    TimesheetLine,
)
from placements.services import (
    ReferenceInput,
    TeamMemberInput,
    cap_exception_record,
    permanent_leaver_record,
    placement_end,
    placement_register,
    project_team_record,
    reference_record,
)
from placements.timesheets import TimesheetRejected, timesheet_submit
from placements.uploads import UploadRejected, timesheet_upload
from region.models import Authority

SWE_NUMBER = re.compile(r"^SW[0-9]{1,10}$")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class SweNumberField(serializers.CharField):
    """A Social Work England registration number (`SW` and digits), read from and written as the worker's."""

    def __init__(self, **kwargs):
        super().__init__(source="worker.swe_number", max_length=12, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip().upper()
        if not SWE_NUMBER.match(value):
            raise serializers.ValidationError("Enter a Social Work England registration number, e.g. SW123456.")
        return value


def authority_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Authority.objects.all(),
        error_messages={"does_not_exist": "unknown authority"},
        help_text="ONS code of the authority, e.g. E08000029",
        **kwargs,
    )


# --- placements ---


class ReferenceSerializer(serializers.ModelSerializer):
    """A practice-based reference for the placement's worker: the agency's claim, seen by the agency, the council
    where the worker is placed and the coordinator only."""

    class Meta:
        model = Reference
        fields = ["referee", "referee_role", "organisation", "given_on"]
        validators = []  # a repeat is the service's clear error

    def to_internal_value(self, data):
        return ReferenceInput(**super().to_internal_value(data))


class PlacementSerializer(serializers.ModelSerializer):
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        help_text="Defaults to the agency user's own agency; the coordinator must give one.",
    )
    authority = authority_field()
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.all(), error_messages={"does_not_exist": "unknown role"}
    )
    worker_swe_number = SweNumberField(help_text="An unknown registration number registers the worker.")
    worker_qualified_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The worker's date of qualification as the agency states it for this placement: the agency's own "
        "claim, never shown to another agency nor applied to its placements",
    )
    worker_qualified_on_verified = serializers.DateField(
        source="worker.verified_qualified_on",
        read_only=True,
        allow_null=True,
        help_text="The date the coordinator has verified, if any: it wins over the agency's claim in the audit",
    )
    references = ReferenceSerializer(
        many=True,
        required=False,
        help_text="Practice-based references for the worker, recorded with the placement (the MoU version may "
        "require a number of them dated by the start: rule `references_missing`). More can be added later with "
        "`POST placements/{id}/references/`",
    )

    class Meta:
        model = Placement
        fields = [
            "id",
            "agency",
            "authority",
            "role",
            "engagement_type",
            "worker_swe_number",
            "worker_qualified_on",
            "worker_qualified_on_verified",
            "start_date",
            "end_date",
            "pay_rate",
            "on_costs",
            "charge_rate",
            "project_team",
            "references",
        ]
        extra_kwargs = {
            **{name: {"min_value": 0} for name in ("pay_rate", "on_costs", "charge_rate")},
            "on_costs": {
                "min_value": 0,
                "help_text": "The employer's hourly on-costs (default 0): counted with the pay where the MoU "
                "version's pay cap compares pay plus on-costs (`cap_basis`)",
            },
            "project_team": {
                "help_text": "Part of a project team: the worker must be named on a team of the agency that the "
                "council approved by the start (`project-teams/`; rule `project_team_unapproved`)"
            },
        }

    def validate(self, attrs):
        user = self.context["request"].user
        attrs = with_own_tenant(
            attrs, field="agency", user=user, message="You can only register placements for your own agency."
        )
        if attrs.get("end_date") and attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["The end date is before the start date."]})
        return attrs


class PlacementEndSerializer(serializers.Serializer):
    """After registration only the end date changes (moved, set when the placement ends, or cleared)."""

    end_date = serializers.DateField(allow_null=True)

    def validate(self, attrs):
        others = sorted(set(self.initial_data) - {"end_date"})
        if others:
            raise serializers.ValidationError(
                {name: ["Only end_date can be changed after registration."] for name in others}
            )
        return attrs


class RuleCheckSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(
        choices=[
            "suspended_agency",
            "cooling_off",
            "experience_below_minimum",
            "pay_rate_above_cap",
            "charge_rate_above_cap",
            "references_missing",
            "project_team_unapproved",
        ],
        help_text="The rule's code, as breach cases name it (SPEC §4)",
    )
    outcome = serializers.ChoiceField(
        choices=["pass", "fail", "unknown", "exempt"],
        help_text="`unknown`: a fact is missing (e.g. no qualification date given); it does not block",
    )
    message = serializers.CharField(help_text="In words; never names another tenant's records")


class BookingCheckSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="False only when a rule fails")
    checks = RuleCheckSerializer(many=True)


class PlacementViewSet(mixins.UpdateModelMixin, ServiceCreateViewSet):
    """Placements: agencies register their own (refused while suspended or removed), the coordinator any agency's.

    `PATCH` changes `end_date` only (agency for its own placements, or the coordinator); nothing else changes after
    registration.
    """

    # Two queries per page: placements joined to their authority, role and worker (plus the count), then their
    # references.
    queryset = (
        Placement.objects.select_related("authority", "role", "worker")
        .prefetch_related("references")
        .order_by("-start_date", "-id")
    )
    serializer_class = PlacementSerializer
    filterset_class = PlacementFilterSet
    ordering_fields = ["start_date", "end_date", "pay_rate", "charge_rate", "id"]
    write_roles = (User.Role.AGENCY, User.Role.COORDINATOR)
    service = staticmethod(placement_register)
    service_field_names = {"swe_number": "worker_swe_number"}
    http_method_names = ["get", "post", "patch", "head", "options"]
    body_serializers = {"partial_update": PlacementEndSerializer}

    @extend_schema(
        operation_id="placements_check",
        request=PlacementSerializer,
        responses={200: BookingCheckSerializer},
        description="The booking check: before registering a placement, every rule's answer for it (agency "
        "suspended on the start date, cooling-off, minimum experience, pay and charge caps, references, project "
        "team), with the same body as "
        "`POST placements/`. Stores nothing; registering anyway is possible and the audit then judges it. Messages "
        "never reveal another tenant's records (a cooling-off failure says until when, not where or why).",
    )
    @action(detail=False, methods=["post"], url_path="check")
    def check_rules(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        worker = data.pop("worker", {})
        result = booking_check(**data, worker_swe_number=worker.get("swe_number", ""))
        return Response(BookingCheckSerializer(result).data)

    @extend_schema(
        operation_id="placements_references_create",
        request=ReferenceSerializer,
        responses={201: ReferenceSerializer},
        description="Record a practice-based reference for the placement's worker (the placement's agency, or the "
        "coordinator). One dated by the start counts for rule `references_missing`: the audit judges the placement "
        "again. A repeat (same referee, organisation and date) is a 400.",
    )
    @action(detail=True, methods=["post"], url_path="references")
    def add_reference(self, request, pk=None):
        placement = self.get_object()
        if not (
            request.user.is_coordinator or (request.user.is_agency and request.user.agency_id == placement.agency_id)
        ):
            raise PermissionDenied("Only the placement's agency or the coordinator can record its references.")
        serializer = ReferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            reference = reference_record(placement=placement, reference=serializer.validated_data, by=request.user)
        return Response(ReferenceSerializer(reference).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlacementEndSerializer, responses=PlacementSerializer)
    def partial_update(self, request, *args, **kwargs):
        placement = self.get_object()
        serializer = PlacementEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            placement = placement_end(placement=placement, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(placement).data)


# --- permanent leavers ---


class PermanentLeaverSerializer(serializers.ModelSerializer):
    authority = authority_field(required=False)
    worker_swe_number = SweNumberField(help_text="An unknown registration number registers the worker.")

    class Meta:
        model = PermanentLeaver
        fields = ["id", "authority", "worker_swe_number", "left_on", "reason"]
        validators = []  # the unique (authority, worker, day) check is the service's, once the worker is known

    def validate(self, attrs):
        user = self.context["request"].user
        return with_own_tenant(
            attrs, field="authority", user=user, message="You can only record leavers at your own authority."
        )


class PermanentLeaverViewSet(ServiceCreateViewSet):
    """Workers who left an employed post at a council: each council records its own, the coordinator any."""

    # One query per page: leavers joined to their authority and worker (plus the count).
    queryset = PermanentLeaver.objects.select_related("authority", "worker").order_by("-left_on", "-id")
    serializer_class = PermanentLeaverSerializer
    filterset_class = PermanentLeaverFilterSet
    ordering_fields = ["left_on", "id"]
    write_roles = (User.Role.COUNCIL, User.Role.COORDINATOR)
    service = staticmethod(permanent_leaver_record)
    service_field_names = {"swe_number": "worker_swe_number"}


# --- project teams ---


class ProjectTeamMemberSerializer(serializers.Serializer):
    worker_swe_number = serializers.CharField(source="worker.swe_number", max_length=12)
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.all(), error_messages={"does_not_exist": "unknown role"}
    )
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, help_text="£ agreed for this worker")

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        swe_number = values["worker"]["swe_number"].strip().upper()
        if not SWE_NUMBER.match(swe_number):
            raise serializers.ValidationError(
                {"worker_swe_number": ["Enter a Social Work England registration number, e.g. SW123456."]}
            )
        return TeamMemberInput(worker_swe_number=swe_number, role=values["role"], cost=values["cost"])


class ProjectTeamSerializer(serializers.ModelSerializer):
    authority = authority_field(required=False)
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    members = ProjectTeamMemberSerializer(many=True, help_text="Every worker on the team, with their cost")

    class Meta:
        model = ProjectTeam
        fields = [
            "id",
            "authority",
            "agency",
            "name",
            "service",
            "cost_of_service",
            "approved_by",
            "approved_on",
            "members",
        ]
        validators = []  # the service says a repeated name in words
        extra_kwargs = {"cost_of_service": {"min_value": 0}}

    def validate(self, attrs):
        user = self.context["request"].user
        return with_own_tenant(
            attrs, field="authority", user=user, message="You can only record project teams at your own authority."
        )


class ProjectTeamViewSet(ServiceCreateViewSet):
    """Project (managed) teams a council approved from an agency, each worker named with their cost (the national
    rules). A council records its own, the coordinator any; an agency reads its own teams."""

    queryset = (
        ProjectTeam.objects.select_related("authority", "agency")
        .prefetch_related(Prefetch("members", queryset=ProjectTeamMember.objects.select_related("worker", "role")))
        .order_by("-approved_on", "id")
    )
    serializer_class = ProjectTeamSerializer
    filterset_class = ProjectTeamFilterSet
    ordering_fields = ["approved_on", "id"]
    write_roles = (User.Role.COUNCIL, User.Role.COORDINATOR)
    service = staticmethod(project_team_record)


# --- cap exceptions ---


class CapExceptionSerializer(serializers.ModelSerializer):
    placement = ScopedPrimaryKeyRelatedField(queryset=Placement.objects.all())

    class Meta:
        model = CapException
        fields = [
            "id",
            "placement",
            "signed_by_dcs",
            "signed_by_chief_executive",
            "reason",
            "valid_from",
            "valid_until",
        ]
        extra_kwargs = {
            "valid_from": {
                "required": False,
                "help_text": "Defaults to today, or to the placement's start if that is later.",
            }
        }


class CapExceptionViewSet(ServiceCreateViewSet):
    """Signed approvals to pay above the cap: a council records them for placements at its authority, the
    coordinator for any; an agency reads those on its placements."""

    queryset = CapException.objects.order_by("-valid_from", "-id")
    serializer_class = CapExceptionSerializer
    filterset_class = CapExceptionFilterSet
    ordering_fields = ["valid_from", "valid_until", "id"]
    write_roles = (User.Role.COUNCIL, User.Role.COORDINATOR)
    service = staticmethod(cap_exception_record)


# --- timesheets ---


class TimesheetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimesheetLine
        fields = ["date", "hours", "pay_rate", "charge_rate"]


class TimesheetSerializer(serializers.ModelSerializer):
    lines = TimesheetLineSerializer(source="current_lines_list", many=True, help_text="The current revision's lines")

    class Meta:
        model = Timesheet
        fields = ["id", "placement", "week_ending", "revision", "submitted_at", "lines"]
        read_only_fields = fields  # written through TimesheetSubmitSerializer


class TimesheetLineInputSerializer(serializers.Serializer):
    """A line as sent. Values pass to `timesheet_submit` as given, so the API and the portal refuse the same input
    with the same words (hours 0-24, rates ≥ 0, at most 2 decimal places, the date within the week and the
    placement)."""

    date = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text="YYYY-MM-DD (ISO 8601), as every date in the API; not after today",
    )
    hours = serializers.CharField(allow_null=True, allow_blank=True, required=False, help_text='e.g. "7.50"')
    pay_rate = serializers.CharField(allow_null=True, allow_blank=True, required=False, help_text='£/hour, "30.50"')
    charge_rate = serializers.CharField(allow_null=True, allow_blank=True, required=False, help_text="£/hour")


class TimesheetSubmitSerializer(serializers.Serializer):
    placement = ScopedPrimaryKeyRelatedField(queryset=Placement.objects.all())
    week_ending = serializers.DateField(help_text="The Sunday that ends the week")
    lines = TimesheetLineInputSerializer(many=True, help_text="The week's lines, one per day worked")

    def validate_lines(self, lines):
        # The API's one date format (SPEC §7); the service also reads DD/MM/YYYY, as the portal's users type it.
        errors = [
            {"date": [ISO_DATE_FORMAT]}
            if not ISO_DATE.fullmatch(str(line.get("date") or "").strip()) and line.get("date")
            else {}
            for line in lines
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return lines


UPLOAD_HELP = "CSV (UTF-8) or XLSX with the columns placement, date, hours, pay_rate, charge_rate"


class TimesheetUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=UPLOAD_HELP)


class ReplacedLineSerializer(serializers.Serializer):
    """A line a resubmission superseded: kept in history, no longer current."""

    id = serializers.IntegerField()
    placement = serializers.IntegerField(source="placement_id")
    week_ending = serializers.DateField()
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=2)
    pay_rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    charge_rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    dropped = serializers.BooleanField(
        help_text="True when the new submission has no line on this day: the day is no longer in the week"
    )


REPLACED_HELP = (
    "The lines the resubmitted weeks had before, now history: the days the submission dropped (`dropped`) first, "
    "then by placement and date"
)


class TimesheetSubmittedSerializer(TimesheetSerializer):
    """The answer to a submission: the week as stored, and what it replaced."""

    replaced_lines = ReplacedLineSerializer(
        many=True,
        read_only=True,
        help_text=f"{REPLACED_HELP}; empty for a first submission or one with exactly the week's current lines",
    )

    class Meta(TimesheetSerializer.Meta):
        fields = [*TimesheetSerializer.Meta.fields, "replaced_lines"]
        read_only_fields = fields


class UploadResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Rows of lines read")
    weeks = serializers.IntegerField(
        help_text="Weeks (placement and week ending) in the file: timesheets created + revised + unchanged"
    )
    timesheets_created = serializers.IntegerField(help_text="Weeks not submitted before")
    timesheets_revised = serializers.IntegerField(help_text="Weeks already submitted: their lines were replaced")
    timesheets_unchanged = serializers.IntegerField(
        help_text="Weeks whose lines in the file are exactly their current lines: nothing stored for them (no new "
        "revision). The same file sent again, or twice at once, counts every week here the second time"
    )
    lines_stored = serializers.IntegerField(help_text="Lines of the created and revised weeks")
    ignored_columns = serializers.ListField(child=serializers.CharField())
    replaced_lines = ReplacedLineSerializer(many=True, help_text=f"{REPLACED_HELP}; up to 1,000")
    replaced_line_count = serializers.IntegerField(source="lines_replaced", help_text="Replaced lines, listed or not")
    dropped_line_count = serializers.IntegerField(
        source="lines_dropped", help_text="Replaced lines on days the file has no line for: dropped from their week"
    )


class UploadRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as a spreadsheet shows it; the header is row 1")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class UploadRejectedSerializer(serializers.Serializer):
    """Why an upload stored nothing: `file` for the file as a whole, or `rows` (up to 1,000) and their count."""

    file = serializers.ListField(child=serializers.CharField(), required=False)
    rows = UploadRowErrorSerializer(many=True, required=False)
    error_count = serializers.IntegerField(required=False, help_text="Bad rows in all, listed or not")


def upload_refusal(rejected: UploadRejected) -> dict:
    """The 400 body of a refused upload: a whole-file problem under `file`, else every bad row under `rows`."""
    whole_file = [error["message"] for error in rejected.errors if error["row"] is None]
    if whole_file or not rejected.errors:
        return {"file": whole_file or rejected.messages}
    return {"rows": rejected.errors, "error_count": len(rejected.errors) + rejected.more}


class TimesheetViewSet(BaseViewSet, viewsets.ReadOnlyModelViewSet):
    """Weekly timesheets with their current lines. An agency submits its own placements' weeks.

    `POST` submits a week; posting the same placement and week again is a **resubmission**: its lines replace the
    week's lines (the old ones stay in history) and the answer is 200 with the next `revision` (a first submission
    is 201). Bad lines: 400 `{"lines": [{}, {"hours": ["..."]}, ...]}`, one entry per line sent, nothing stored.
    """

    # Two queries per page (plus the count): the timesheets, then the current lines of all of them.
    queryset = Timesheet.objects.prefetch_related(
        Prefetch(
            "lines",
            queryset=TimesheetLine.objects.current().order_by("date", "id"),
            to_attr="current_lines_list",
        )
    ).order_by("-week_ending", "-id")
    serializer_class = TimesheetSerializer
    filterset_class = TimesheetFilterSet
    ordering_fields = ["week_ending", "submitted_at", "id"]
    permission_classes = [WriteRoles]
    write_roles = (User.Role.AGENCY,)
    body_serializers = {"create": TimesheetSubmitSerializer}

    @extend_schema(
        request=TimesheetSubmitSerializer,
        responses={201: TimesheetSubmittedSerializer, 200: TimesheetSubmittedSerializer},
        description=(
            "Submit a week (201), or resubmit it (200, next revision). A resubmission's lines replace the week's "
            "lines entirely: `replaced_lines` lists the week's previous lines, `dropped` on the days it no longer "
            "has."
        ),
    )
    def create(self, request, *args, **kwargs):
        submitted = TimesheetSubmitSerializer(data=request.data, context=self.get_serializer_context())
        submitted.is_valid(raise_exception=True)
        data = submitted.validated_data
        try:
            timesheet = timesheet_submit(
                placement=data["placement"], week_ending=data["week_ending"], lines=data["lines"], by=request.user
            )
        except TimesheetRejected as rejected:
            raise serializers.ValidationError(rejected.detail) from None
        replaced = timesheet.replaced_lines
        timesheet = self.get_queryset().get(pk=timesheet.pk)
        timesheet.replaced_lines = replaced
        created = status.HTTP_201_CREATED if timesheet.revision == 1 else status.HTTP_200_OK
        return Response(
            TimesheetSubmittedSerializer(timesheet, context=self.get_serializer_context()).data, status=created
        )

    @extend_schema(
        request=file_upload_request(UPLOAD_HELP),
        responses={201: UploadResultSerializer, 400: UploadRejectedSerializer},
        description=(
            "Upload a CSV or XLSX file of timesheet lines. Every row is checked before any is stored: a file with "
            "any bad row stores nothing and each bad row is named (row, column, message). A week in the file "
            "replaces that week's lines, unless they are exactly its current lines: then nothing is stored for it "
            "and it is counted in `timesheets_unchanged` (a file of only such weeks still answers 201). The lines "
            "it replaced are listed in `replaced_lines`: a week in the file with fewer days than it had drops the "
            "others (`dropped`), as four single-day files of one week leave only the last day."
        ),
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        upload = TimesheetUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            result = timesheet_upload(file=upload.validated_data["file"], user=request.user)
        except UploadRejected as rejected:
            # Not a ValidationError: its detail would turn row numbers into strings. Nothing was stored (the
            # service's own transaction rolled back); roll back the request's too, as DRF does for errors it handles.
            set_rollback()
            return Response(upload_refusal(rejected), status=status.HTTP_400_BAD_REQUEST)
        return Response(UploadResultSerializer(result).data, status=status.HTTP_201_CREATED)
