"""API for suspensions of agencies (SPEC §7): imposing one cites the agency's breach cases, so it is compliance's."""

from django.db.models import Prefetch
from django.utils import timezone

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from agencies.models import Agency, Suspension
from agencies.selectors import IN_EFFECT, suspensions_in_state
from agencies.services import suspension_lift
from compliance.models import Breach
from compliance.suspensions import agency_suspend
from futuresocial.api.filters import BooleanFilter, FilterSet, IdFilter
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import service_errors
from futuresocial.api.views import BaseViewSet
from futuresocial.scoping import visible_to


class SuspensionSerializer(serializers.ModelSerializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    breaches = serializers.PrimaryKeyRelatedField(
        queryset=Breach.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the agency's breach cases behind the suspension; open ones are escalated.",
    )
    imposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lifted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Null until lifted before its time"
    )
    active = serializers.SerializerMethodField(help_text="In effect today.")

    class Meta:
        model = Suspension
        fields = [
            "id",
            "agency",
            "kind",
            "starts_on",
            "ends_on",
            "reason",
            "breaches",
            "lifted_on",
            "active",
            "imposed_by",
            "imposed_at",
            "lifted_by",
            "lift_reason",
        ]
        read_only_fields = ["lifted_on", "imposed_at", "lift_reason"]
        extra_kwargs = {
            "starts_on": {"required": False, "help_text": "Today or later; today if left out."},
            "ends_on": {"help_text": "Required for a temporary suspension, empty for an ongoing one."},
        }

    def get_active(self, suspension) -> bool:
        return suspension.is_active_on(self.context["today"])


class SuspensionLiftSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the suspension is lifted before its time (required).")
    lifted_on = serializers.DateField(required=False, help_text="Today if left out; a later date schedules it.")


class SuspensionFilterSet(FilterSet):
    agency = IdFilter()
    active = BooleanFilter(method="filter_active", label="In effect today")
    starts_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Suspension
        fields = ["kind"]

    def filter_active(self, queryset, name, value):
        today = timezone.localdate()
        in_effect = suspensions_in_state(queryset, state=IN_EFFECT, on=today)
        return in_effect if value else queryset.exclude(pk__in=in_effect.values("pk"))


class SuspensionViewSet(BaseViewSet, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Suspensions of agencies: every council sees every agency's (its standing is public to them), an agency its
    own, the region all. The coordinator imposes one (`POST`) and lifts one early (`POST {id}/lift/`, with a
    reason); a temporary suspension ends by itself on its `ends_on`."""

    # Two queries per page (plus the count): suspensions joined to who imposed and lifted them, then the ids of
    # the breach cases they cite.
    queryset = (
        Suspension.objects.select_related("imposed_by", "lifted_by")
        .prefetch_related(Prefetch("breaches", queryset=Breach.objects.only("id").order_by("id")))
        .order_by("-starts_on", "-id")
    )
    serializer_class = SuspensionSerializer
    filterset_class = SuspensionFilterSet
    ordering_fields = ["starts_on", "ends_on", "id"]
    permission_classes = [WriteRoles]
    write_roles = (User.Role.COORDINATOR,)

    def get_queryset(self):
        # The cited cases a council or agency may see only: another authority's case ids are not theirs to read.
        cited = visible_to(Breach.objects.only("id").order_by("id"), self.request.user)
        return super().get_queryset().prefetch_related(None).prefetch_related(Prefetch("breaches", queryset=cited))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def perform_create(self, serializer):
        data = {"starts_on": timezone.localdate(), **serializer.validated_data}
        with service_errors():
            serializer.instance = agency_suspend(**data, by=self.request.user)

    @extend_schema(request=SuspensionLiftSerializer, responses=SuspensionSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        suspension = self.get_object()
        lift = SuspensionLiftSerializer(data=request.data)
        lift.is_valid(raise_exception=True)
        with service_errors({"lift_reason": "reason"}):
            suspension = suspension_lift(
                suspension=suspension,
                by=request.user,
                reason=lift.validated_data["reason"],
                on=lift.validated_data.get("lifted_on"),
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=suspension.pk)).data)
