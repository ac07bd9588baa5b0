from rest_framework import serializers

from agencies.models import Agency
from futuresocial.api.views import ScopedReadOnlyViewSet


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "company_number", "standing", "is_msp", "supplied_through", "mou_signed_on"]


class AgencyViewSet(ScopedReadOnlyViewSet):
    """Agencies and their standing: councils see every agency, an agency sees itself."""

    queryset = Agency.objects.order_by("name")
    serializer_class = AgencySerializer
    filterset_fields = ["standing", "is_msp"]
    search_fields = ["name", "company_number"]
    ordering_fields = ["name", "mou_signed_on"]
