"""API for breaches (SPEC §7): the queue as data, a council's manual report, the coordinator's changes."""

from django.db import transaction

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import User
from agencies.models import Agency
from compliance.breaches import breach_assign, breach_report_manual, breach_set_severity, breach_set_status
from compliance.filters import BreachFilterSet
from compliance.models import Breach
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import ScopedPrimaryKeyRelatedField, service_errors
from futuresocial.api.views import BaseViewSet
from placements.models import Placement


class BreachSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="ONS code; null for a manual report naming none"
    )
    assignee = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username; null: nobody"
    )
    leaver_detail = serializers.SerializerMethodField(
        help_text="A cooling-off case: which council the worker left and why; for the coordinator and that council "
        "only (null for everyone else, and for other rules). `description` says when the worker left."
    )

    class Meta:
        model = Breach
        fields = [
            "id",
            "agency",
            "authority",
            "placement",
            "rule",
            "severity",
            "status",
            "cap_amount",
            "excess_hours",
            "excess_amount",
            "lines_count",
            "mou_version",
            "assignee",
            "description",
            "leaver_detail",
            "detected_at",
        ]
        read_only_fields = fields

    def get_leaver_detail(self, breach) -> str | None:
        return breach.leaver_detail_for(self.context["request"].user)


class BreachUpdateSerializer(serializers.Serializer):
    """What the coordinator changes on a case (`PATCH`); each change goes through its service."""

    status = serializers.ChoiceField(choices=Breach.Status.choices, required=False)
    severity = serializers.ChoiceField(choices=Breach.Severity.choices, required=False)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="A coordinator's username; null: nobody.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Why: needed to dismiss a case; for any other status change it joins the case's timeline as a note.",
    )


class BreachReportSerializer(serializers.Serializer):
    """A manual report (rule `manual`): by a council (a placement, if any, at its authority) or the coordinator."""

    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    placement = ScopedPrimaryKeyRelatedField(queryset=Placement.objects.all(), required=False, allow_null=True)
    description = serializers.CharField(help_text="What happened: who, when, and which part of the MoU it breaches.")
    severity = serializers.ChoiceField(choices=Breach.Severity.choices, default=Breach.Severity.MINOR)


class BreachViewSet(BaseViewSet, viewsets.ReadOnlyModelViewSet):
    """Breach cases: an agency sees its own, a council those at its authority, the region all.

    `PATCH` (coordinator) changes `status` (as SPEC §3 allows; dismissing needs a `reason`), `severity` and
    `assignee` (a coordinator's username, or null). `POST` (a council, or the coordinator) reports a `manual` case.
    A refused change is a 400 with the service's message, and nothing changes.
    """

    # One query per page: breaches joined to their authority and assignee, and a cooling-off case's leaver record
    # with its authority (leaver_detail), plus the count.
    queryset = Breach.objects.select_related("authority", "assignee", "leaver__authority").order_by(
        "-detected_at", "-id"
    )
    serializer_class = BreachSerializer
    filterset_class = BreachFilterSet
    ordering_fields = ["excess_amount", "detected_at", "id"]
    permission_classes = [WriteRoles]
    write_roles = {
        "create": (User.Role.COUNCIL, User.Role.COORDINATOR),
        "partial_update": (User.Role.COORDINATOR,),
    }
    body_serializers = {"create": BreachReportSerializer, "partial_update": BreachUpdateSerializer}

    @extend_schema(request=BreachReportSerializer, responses={201: BreachSerializer})
    def create(self, request, *args, **kwargs):
        serializer = BreachReportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with service_errors():
            breach = breach_report_manual(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(breach).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BreachUpdateSerializer, responses=BreachSerializer)
    def partial_update(self, request, *args, **kwargs):
        breach = self.get_object()
        serializer = BreachUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # All the changes or none: a refused status move undoes an assignment made in the same request.
        with service_errors(), transaction.atomic():
            if "assignee" in data:
                breach_assign(breach=breach, assignee=data["assignee"], by=request.user)
            if "severity" in data:
                breach_set_severity(breach=breach, severity=data["severity"], by=request.user)
            if "status" in data and data["status"] != breach.status:
                breach_set_status(breach=breach, status=data["status"], by=request.user, reason=data.get("reason", ""))
        return Response(self.get_serializer(breach).data)
