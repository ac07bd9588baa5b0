"""API for audit runs and breaches (SPEC §7)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import User
from compliance.models import AuditRun, Breach
from compliance.services import audit_request
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.views import ScopedReadOnlyViewSet, ScopedViewSetMixin
from workforce.models import Authority


class AuditRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditRun
        fields = [
            "id",
            "status",
            "trigger",
            "lines_checked",
            "breaches_found",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class AuditRunViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs of the audit, to watch while they run: the region's (coordinator and analyst; councils and agencies see
    none). `POST` (coordinator, no body) queues a run and answers 202 with it; while one is already queued, that
    one is returned, since it will judge the same lines."""

    # One query per page (plus the count).
    queryset = AuditRun.objects.order_by("-created_at", "-id")
    serializer_class = AuditRunSerializer
    filterset_fields = ["status", "trigger"]
    ordering_fields = ["created_at", "id"]
    permission_classes = [WriteRoles]
    write_roles = (User.Role.COORDINATOR,)

    @extend_schema(request=None, responses={202: AuditRunSerializer})
    def create(self, request, *args, **kwargs):
        run = audit_request(trigger="manual", by=request.user)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class BreachSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
            "detected_at",
        ]
        read_only_fields = fields


class BreachFilterSet(django_filters.FilterSet):
    agency = django_filters.NumberFilter()
    authority = django_filters.ModelChoiceFilter(
        field_name="authority", to_field_name="code", queryset=Authority.objects.all()
    )
    placement = django_filters.NumberFilter()
    mou_version = django_filters.NumberFilter()
    assignee = django_filters.CharFilter(field_name="assignee__username")
    detected = django_filters.DateFromToRangeFilter(field_name="detected_at", label="Detected between (dates)")

    class Meta:
        model = Breach
        fields = ["rule", "status", "severity"]


class BreachViewSet(ScopedReadOnlyViewSet):
    """Breach cases: an agency sees its own, a council those at its authority, the region all. Read-only here;
    the coordinator's workspace adds `PATCH` and manual reports."""

    # One query per page: breaches joined to their authority and assignee (plus the count).
    queryset = Breach.objects.select_related("authority", "assignee").order_by("-detected_at", "-id")
    serializer_class = BreachSerializer
    filterset_class = BreachFilterSet
    ordering_fields = ["excess_amount", "detected_at", "id"]
