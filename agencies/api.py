"""API for agencies (the coordinator keeps their details; standing follows suspensions) and suspensions (SPEC §7)."""

import django_filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.validators import UniqueValidator

from accounts.models import User
from agencies.models import Agency
from futuresocial.api.filters import FilterSet
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.views import BaseViewSet

COMPANY_NUMBER = r"^([0-9]{8}|[A-Za-z]{2}[0-9]{6})$"


class AgencySerializer(serializers.ModelSerializer):
    company_number = serializers.RegexField(
        COMPANY_NUMBER,
        max_length=8,
        error_messages={"invalid": "A Companies House number: 8 digits, or 2 letters and 6 digits (e.g. SC123456)."},
    )
    supplied_through = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        allow_null=True,
        help_text="A second-tier agency: the id of the managed service provider (MSP) it supplies through.",
    )

    class Meta:
        model = Agency
        fields = ["id", "name", "company_number", "standing", "is_msp", "supplied_through", "mou_signed_on"]
        read_only_fields = ["standing"]
        extra_kwargs = {
            "standing": {
                "help_text": "Read-only here: it follows the agency's suspensions (`POST suspensions/`, "
                "`POST suspensions/{id}/lift/`)."
            },
            "name": {
                "validators": [
                    UniqueValidator(
                        Agency.objects.all(), message="There is already an agency of that name.", lookup="iexact"
                    )
                ]
            },
        }

    def validate_company_number(self, number):
        others = Agency.objects.filter(company_number=number.upper())
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("There is already an agency with that company number.")
        return number.upper()

    def validate(self, attrs):
        is_msp = attrs.get("is_msp", getattr(self.instance, "is_msp", False))
        msp = attrs.get("supplied_through", getattr(self.instance, "supplied_through", None))
        if msp is not None:
            if self.instance is not None and msp.pk == self.instance.pk:
                raise serializers.ValidationError({"supplied_through": ["An agency cannot supply through itself."]})
            if not msp.is_msp:
                raise serializers.ValidationError(
                    {"supplied_through": [f"{msp} is not a managed service provider (is_msp)."]}
                )
        if not is_msp and self.instance is not None and self.instance.second_tier_agencies.exists():
            raise serializers.ValidationError(
                {"is_msp": ["Agencies supply through this one: it stays a managed service provider."]}
            )
        return attrs


class AgencyFilterSet(FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")
    mou_signed_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Agency
        fields = ["standing", "is_msp", "supplied_through", "company_number"]


class AgencyViewSet(BaseViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Agencies and their standing: councils see every agency, an agency sees itself. The coordinator adds an
    agency (`POST`) and corrects its details (`PATCH`); its standing changes through suspensions, never here."""

    queryset = Agency.objects.order_by("name", "id")
    serializer_class = AgencySerializer
    filterset_class = AgencyFilterSet
    ordering_fields = ["name", "mou_signed_on", "id"]
    permission_classes = [WriteRoles]
    write_roles = (User.Role.COORDINATOR,)
    http_method_names = ["get", "post", "patch", "head", "options"]
