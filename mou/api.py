from rest_framework import serializers

from futuresocial.api.views import ScopedReadOnlyViewSet
from mou.models import Cap, MouVersion, Role


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
