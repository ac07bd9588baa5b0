"""API for corrective actions (SPEC §7 `corrective-actions/`): the coordinator drafts, edits drafts, issues and
completes; an agency user signs its own agency's. Reads are scoped (an agency its own, a council those citing breach
cases at its authority, the region all; drafts the region only). Every write is a service of
`compliance.corrective_actions`; its refusals are 400s with the message, a wrong role a 403, another tenant's
action a 404."""

from django.db.models import Prefetch

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action as route
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from accounts.models import User
from compliance.corrective_actions import (
    corrective_action_complete,
    corrective_action_draft,
    corrective_action_issue,
    corrective_action_item_done,
    corrective_action_sign,
    corrective_action_update,
)
from compliance.filters import CorrectiveActionFilterSet
from compliance.models import Breach, CorrectiveAction, CorrectiveActionItem
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import ScopedPrimaryKeyRelatedField, service_errors
from futuresocial.api.views import BaseViewSet
from futuresocial.scoping import visible_to
from futuresocial.security import client_ip


class CorrectiveActionItemSerializer(serializers.ModelSerializer):
    done = serializers.BooleanField(read_only=True)

    class Meta:
        model = CorrectiveActionItem
        fields = ["id", "description", "due_on", "done", "done_on"]
        read_only_fields = ["id", "done", "done_on"]


class CorrectiveActionSerializer(serializers.ModelSerializer):
    breaches = ScopedPrimaryKeyRelatedField(many=True, queryset=Breach.objects.all())
    items = CorrectiveActionItemSerializer(many=True)

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "agency",
            "breaches",
            "summary",
            "items",
            "status",
            "created_at",
            "issued_at",
            "signed_at",
            "signed_name",
            "completed_at",
            "lapsed_at",
        ]
        read_only_fields = [
            "status",
            "created_at",
            "issued_at",
            "signed_at",
            "signed_name",
            "completed_at",
            "lapsed_at",
        ]

    def validate(self, data):
        if self.instance is not None and "agency" in data and data["agency"] != self.instance.agency:
            raise serializers.ValidationError(
                {"agency": ["A corrective action stays with the agency it was drafted for: draft a new one."]}
            )
        return data


class SignSerializer(serializers.Serializer):
    signed_name = serializers.CharField(max_length=120, allow_blank=True, help_text="The signer's full name, typed")


class ItemDoneSerializer(serializers.Serializer):
    done_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today")


class CorrectiveActionViewSet(
    BaseViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Corrective actions. `POST` drafts one (coordinator) and `PUT`/`PATCH` change a draft (its items are replaced
    as a whole); `POST {id}/issue/` sends it to the agency; `POST {id}/sign/` with `signed_name` signs it (a user of
    that agency); `POST {id}/items/{item_id}/done/` records a remedial action as done and `POST {id}/complete/`
    completes it once all are (coordinator). A step the agreement's status does not allow is a 400 with the reason."""

    queryset = CorrectiveAction.objects.order_by("-created_at", "-id")
    serializer_class = CorrectiveActionSerializer
    filterset_class = CorrectiveActionFilterSet
    ordering_fields = ["created_at", "issued_at", "id"]
    permission_classes = [WriteRoles]
    coordinator = (User.Role.COORDINATOR,)
    write_roles = {
        "create": coordinator,
        "update": coordinator,
        "partial_update": coordinator,
        "issue": coordinator,
        "item_done": coordinator,
        "complete": coordinator,
        "sign": (User.Role.AGENCY,),
    }

    def get_queryset(self):
        user = self.request.user
        # One query per page for the actions, one for their breach ids (those the caller may see) and one for their
        # items (plus the count).
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("breaches", queryset=visible_to(Breach.objects.only("id").order_by("id"), user)),
                Prefetch("items", queryset=CorrectiveActionItem.objects.order_by("due_on", "id")),
            )
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = corrective_action_draft(
                agency=data["agency"],
                breaches=data["breaches"],
                items=data["items"],
                summary=data.get("summary", ""),
                by=self.request.user,
            )

    def perform_update(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = corrective_action_update(
                action=serializer.instance,
                breaches=data.get("breaches"),
                items=data.get("items"),
                summary=data.get("summary"),
                by=self.request.user,
            )

    def _answer(self, action):
        return Response(self.get_serializer(action).data)

    @extend_schema(request=None, responses={200: CorrectiveActionSerializer})
    @route(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        with service_errors():
            return self._answer(corrective_action_issue(action=self.get_object(), by=request.user))

    @extend_schema(request=SignSerializer, responses={200: CorrectiveActionSerializer})
    @route(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        action = self.get_object()
        body = SignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            signed = corrective_action_sign(
                action=action, by=request.user, signed_name=body.validated_data["signed_name"], ip=client_ip(request)
            )
        return self._answer(signed)

    @extend_schema(request=ItemDoneSerializer, responses={200: CorrectiveActionSerializer})
    @route(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[0-9]+)/done")
    def item_done(self, request, pk=None, item_id=None):
        action = self.get_object()
        item = get_object_or_404(CorrectiveActionItem.objects.filter(corrective_action=action), pk=item_id)
        body = ItemDoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            corrective_action_item_done(item=item, by=request.user, done_on=body.validated_data.get("done_on"))
        return self._answer(self.get_object())

    @extend_schema(request=None, responses={200: CorrectiveActionSerializer})
    @route(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        with service_errors():
            return self._answer(corrective_action_complete(action=self.get_object(), by=request.user))
