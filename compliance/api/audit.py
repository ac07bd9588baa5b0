"""API for audit runs (SPEC §7): start one, watch it run."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import User
from compliance.filters import AuditRunFilterSet
from compliance.models import AuditRun
from compliance.services import audit_request
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.views import BaseViewSet


class AuditRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditRun
        fields = [
            "id",
            "status",
            "trigger",
            "lines_checked",
            "lines_rejudged",
            "placements_rejudged",
            "breaches_found",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class AuditRunViewSet(BaseViewSet, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs of the audit, to watch while they run: the region's (coordinator and analyst; councils and agencies see
    none). `POST` (coordinator, no body) queues a run and answers 202 with it; while one is already queued, that
    one is returned, since it will judge the same lines."""

    # One query per page (plus the count).
    queryset = AuditRun.objects.order_by("-created_at", "-id")
    serializer_class = AuditRunSerializer
    filterset_class = AuditRunFilterSet
    ordering_fields = ["created_at", "id"]
    permission_classes = [WriteRoles]
    write_roles = (User.Role.COORDINATOR,)
    body_serializers = {"create": None}  # no body

    @extend_schema(request=None, responses={202: AuditRunSerializer})
    def create(self, request, *args, **kwargs):
        run = audit_request(trigger="manual", by=request.user)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)
