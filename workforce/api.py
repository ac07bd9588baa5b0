from rest_framework import serializers

from futuresocial.api.views import ScopedReadOnlyViewSet
from workforce.models import Authority


class AuthoritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Authority
        fields = ["code", "la_code", "name", "kind"]


class AuthorityViewSet(ScopedReadOnlyViewSet):
    """The 14 councils and children's trusts: public reference data for every signed-in user."""

    queryset = Authority.objects.order_by("name")
    serializer_class = AuthoritySerializer
    lookup_field = "code"
    filterset_fields = ["kind"]
    ordering_fields = ["name", "code"]
