from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from futuresocial.api.views import ScopedReadOnlyViewSet
from mou.models import Cap, EngagementType, MouVersion, Role
from mou.selectors import cap_check


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["code", "name", "capped"]


class RoleViewSet(ScopedReadOnlyViewSet):
    queryset = Role.objects.order_by("rank", "code")
    serializer_class = RoleSerializer
    lookup_field = "code"
    filterset_fields = ["capped"]


class CapSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Cap
        fields = ["role", "engagement_type", "max_pay_rate", "max_charge_rate"]


class MouVersionSerializer(serializers.ModelSerializer):
    caps = CapSerializer(many=True, read_only=True)

    class Meta:
        model = MouVersion
        fields = [
            "id",
            "name",
            "effective_from",
            "binds_existing_from",
            "status",
            "cooling_off_months",
            "min_experience_years",
            "notes",
            "caps",
        ]


class MouVersionViewSet(ScopedReadOnlyViewSet):
    """MoU versions with their caps; the rules are public to every signed-in user."""

    # Two queries per page: the versions, then all their caps with roles.
    queryset = MouVersion.objects.prefetch_related("caps__role").order_by("-effective_from", "id")
    serializer_class = MouVersionSerializer
    filterset_fields = ["status"]
    ordering_fields = ["effective_from", "name"]

    def get_queryset(self):
        queryset = super().get_queryset()
        # A draft is the coordinator's working copy; councils and agencies see versions once published.
        return queryset if self.request.user.is_regional else queryset.published()


# --- cap check ---


class CapCheckQuerySerializer(serializers.Serializer):
    """The query parameters of `cap-check/`."""

    role = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Role.objects.all(),
        error_messages={"does_not_exist": "unknown role"},
        help_text="Role code, e.g. SW",
    )
    date = serializers.DateField(help_text="The day of work (for a placement starting that day)")
    pay_rate = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0"), help_text="£/hour")
    charge_rate = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0"), help_text="£/hour")
    engagement_type = serializers.ChoiceField(
        choices=EngagementType.choices,
        required=False,
        help_text="A cap set for this engagement type wins over the version's cap for any engagement",
    )
    started_on = serializers.DateField(
        required=False,
        help_text="When the placement started, for a day of an existing placement (default: `date`): a placement "
        "that started under an earlier version stays under it until the new version binds existing placements",
    )

    def validate(self, attrs):
        if attrs.get("started_on") and attrs["started_on"] > attrs["date"]:
            raise serializers.ValidationError({"started_on": ["The placement would start after the day of work."]})
        return attrs


class CapCheckCapSerializer(serializers.Serializer):
    max_pay_rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    max_charge_rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)


class CapCheckSerializer(serializers.Serializer):
    """The answer of `cap-check/` (also read by the portal's instant cap check)."""

    within_cap = serializers.BooleanField()
    cap = CapCheckCapSerializer(
        allow_null=True, help_text="Null when the role is outside the MoU, or no cap applies on that date"
    )
    pay_excess = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="£/hour above the pay cap")
    charge_excess = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="£/hour above the charge cap")
    mou_version = serializers.IntegerField(allow_null=True, help_text="Id of the MoU version that binds that day")
    mou_version_name = serializers.CharField(allow_null=True)

    def to_representation(self, check):
        cap = check.applicable.cap if check.applicable else None
        version = check.mou_version
        return {
            "within_cap": check.within_cap,
            "cap": CapCheckCapSerializer(cap).data if cap else None,
            "pay_excess": self.fields["pay_excess"].to_representation(check.pay_excess),
            "charge_excess": self.fields["charge_excess"].to_representation(check.charge_excess),
            "mou_version": version.pk if version else None,
            "mou_version_name": version.name if version else None,
        }


class CapCheckView(APIView):
    """Is this hourly rate within the cap? For a role, a day and (optionally) an engagement type, under the MoU
    version that binds work on that day by a placement starting that day (or on `started_on`). Any signed-in user."""

    @extend_schema(
        operation_id="cap_check",
        parameters=[CapCheckQuerySerializer],
        responses={
            200: CapCheckSerializer,
            400: OpenApiResponse(description='Field errors for the query parameters, e.g. {"role": ["unknown role"]}'),
        },
    )
    def get(self, request):
        params = CapCheckQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        check = cap_check(
            role=data["role"],
            on=data["date"],
            pay_rate=data["pay_rate"],
            charge_rate=data["charge_rate"],
            engagement_type=data.get("engagement_type"),
            started_on=data.get("started_on"),
        )
        return Response(CapCheckSerializer(check).data)
