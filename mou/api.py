from decimal import Decimal

from django.db.models import F, Prefetch

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from futuresocial.api.filters import FilterSet
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import service_errors
from futuresocial.api.views import BaseViewSet
from mou.api_whatif import WHAT_IF_DESCRIPTION, WhatIfQuerySerializer, WhatIfSerializer, what_if_response
from mou.models import Cap, EngagementType, MouVersion, Role
from mou.selectors import cap_check
from mou.services import (
    CapInput,
    mou_version_bring_into_force,
    mou_version_draft,
    mou_version_update_draft,
    role_create,
    role_update,
)

COORDINATOR = (User.Role.COORDINATOR,)
ROLE_CODE = r"^[A-Z][A-Z0-9]{0,9}$"


class RoleSerializer(serializers.ModelSerializer):
    code = serializers.RegexField(
        ROLE_CODE,
        max_length=10,
        error_messages={"invalid": "Capital letters and digits, starting with a letter, e.g. SW."},
        help_text="Fixed once created: caps and placements refer to it.",
    )

    class Meta:
        model = Role
        fields = ["code", "name", "capped"]


class RoleViewSet(BaseViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The national job types the caps are set against (`capped: false`: above team manager, outside the MoU).
    The coordinator adds one (`POST`) or renames it and moves it in or out of the MoU (`PATCH`); its code is fixed."""

    queryset = Role.objects.order_by("rank", "code")
    serializer_class = RoleSerializer
    lookup_field = "code"
    filterset_fields = ["capped"]
    ordering_fields = ["code", "name"]
    permission_classes = [WriteRoles]
    write_roles = COORDINATOR
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = role_create(**serializer.validated_data, by=self.request.user)

    def perform_update(self, serializer):
        with service_errors():
            serializer.instance = role_update(
                role=serializer.instance, **serializer.validated_data, by=self.request.user
            )


class CapSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Role.objects.all(),
        error_messages={"does_not_exist": "unknown role"},
        help_text="Role code, e.g. SW",
    )
    engagement_type = serializers.ChoiceField(
        choices=EngagementType.choices,
        allow_null=True,
        help_text="null or omitted: any engagement type",
    )

    class Meta:
        model = Cap
        fields = ["role", "engagement_type", "max_pay_rate", "max_charge_rate"]
        extra_kwargs = {
            "max_pay_rate": {"min_value": Decimal("0"), "help_text": "£/hour"},
            "max_charge_rate": {"min_value": Decimal("0"), "help_text": "£/hour; null: no charge-rate cap"},
        }

    def to_internal_value(self, data):
        # SPEC §7: a cap that names no engagement type caps them all (a region's older versions name none). Filled in
        # here rather than made optional, so the schema keeps promising the field in every answer.
        if isinstance(data, dict) and "engagement_type" not in data:
            data = {**data, "engagement_type": None}
        return super().to_internal_value(data)


class MouVersionSerializer(serializers.ModelSerializer):
    caps = CapSerializer(many=True, help_text="Editing a draft with `caps` replaces all of its caps.")

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
            "cap_basis",
            "min_references",
            "notes",
            "caps",
        ]
        read_only_fields = ["status"]
        extra_kwargs = {
            "binds_existing_from": {"required": False, "help_text": "Default: effective_from"},
            "cooling_off_months": {"max_value": 120},
            "min_experience_years": {"max_value": 50},
            "min_references": {
                "max_value": 10,
                "help_text": "Practice-based references a placement needs recorded by "
                "its start (national rules: 2; default 0, no rule)",
            },
            "cap_basis": {
                "help_text": "What the pay cap compares: `pay` (the hourly pay alone, the default) or "
                "`pay_and_on_costs` (pay plus the placement's hourly on-costs, as the national caps define it)"
            },
            "name": {"validators": []},  # the service says so in words
        }


class AdoptRequestSerializer(serializers.Serializer):
    """The optional body of `bring-into-force/`."""

    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why, kept in the version's history (e.g. 'the region's 2015 MoU, recorded on joining')",
    )


class AdoptionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["in_force", "scheduled", "recorded"],
        help_text="`in_force`: effective today, in force now; `scheduled`: effective later, binds work from its date "
        "and comes into force that day by itself; `recorded`: effective in the past, recorded in its place in the "
        "MoU's history",
    )
    summary = serializers.CharField(help_text="What happened, in words")
    supersedes = serializers.IntegerField(
        allow_null=True, source="supersedes_id", help_text="Id of the version it superseded (in force until now)"
    )
    lines_to_rejudge = serializers.IntegerField(
        source="judged_work.lines",
        help_text="Timesheet lines already recorded in the days it binds: the next audit (queued now) judges them "
        "again",
    )
    placements_to_rejudge = serializers.IntegerField(
        source="judged_work.placements", help_text="Placements already recorded that started in the days it binds"
    )


class AdoptedVersionSerializer(MouVersionSerializer):
    adoption = serializers.SerializerMethodField()

    class Meta(MouVersionSerializer.Meta):
        fields = [*MouVersionSerializer.Meta.fields, "adoption"]

    @extend_schema_field(AdoptionSerializer)
    def get_adoption(self, version):
        return AdoptionSerializer(self.context["adoption"]).data


class MouVersionFilterSet(FilterSet):
    effective_from = django_filters.DateFromToRangeFilter()

    class Meta:
        model = MouVersion
        fields = ["status"]


class MouVersionViewSet(BaseViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """MoU versions with their caps; the rules are public to every signed-in user, drafts to the region only.

    The coordinator drafts a version with its caps (`POST`), edits a draft (`PATCH`; `caps` replaces them all) and
    adopts it (`POST {id}/bring-into-force/`): in force today, `scheduled` for a later date, or recorded in its place
    in the history for a past one. An adopted version never changes (history is never rewritten): editing one is a
    400.
    """

    # Two queries per page: the versions, then all their caps joined to their roles.
    queryset = MouVersion.objects.prefetch_related(
        Prefetch(
            "caps",
            # The any-engagement cap first, then the engagement types' own (as a version reads).
            queryset=Cap.objects.select_related("role").order_by(
                "role__rank", F("engagement_type").asc(nulls_first=True), "id"
            ),
        )
    ).order_by("-effective_from", "id")
    serializer_class = MouVersionSerializer
    filterset_class = MouVersionFilterSet
    ordering_fields = ["effective_from", "name"]
    permission_classes = [WriteRoles]
    write_roles = {"create": COORDINATOR, "partial_update": COORDINATOR, "bring_into_force": COORDINATOR}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _fresh(self, version):
        return self.get_queryset().get(pk=version.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        caps = data.pop("caps", None)
        with service_errors():
            version = mou_version_update_draft(
                version=serializer.instance,
                **data,
                caps=None if caps is None else [CapInput(**cap) for cap in caps],
                by=self.request.user,
            )
        serializer.instance = self._fresh(version)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        caps = [CapInput(**cap) for cap in data.pop("caps")]
        with service_errors():
            version = mou_version_draft(**data, caps=caps, by=self.request.user)
        serializer.instance = self._fresh(version)

    @extend_schema(
        request=AdoptRequestSerializer,
        responses={200: AdoptedVersionSerializer},
        description="Adopt a draft. By its `effective_from`, one of three outcomes (`adoption.outcome`):\n\n"
        "- **today** (`in_force`): it is in force at once and the version in force until now `superseded`;\n"
        "- **later** (`scheduled`): it binds work from its date (`cap-check/` for a day on or after it already "
        "answers with it) and comes into force on that day by itself, its predecessor superseded;\n"
        "- **in the past** (`recorded`): it takes its place in the MoU's history (a region's earlier versions, "
        "recorded on joining; a correction to the record), `superseded` if a later version has taken effect since, "
        "else in force.\n\n"
        "Work already recorded in the days it binds (`adoption.lines_to_rejudge`, `placements_to_rejudge`) is "
        "judged again by the next audit, queued now. The optional `reason` is kept in the version's history. "
        "Refused (400, nothing changed) for a version that is not a draft, has no caps, takes effect on the date "
        "of an adopted version, or whose dates contradict theirs (a version binds existing placements before the "
        "next one takes effect).",
    )
    @action(detail=True, methods=["post"], url_path="bring-into-force")
    def bring_into_force(self, request, pk=None):
        version = self.get_object()
        body = AdoptRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            adoption = mou_version_bring_into_force(
                version, by=request.user, reason=body.validated_data.get("reason", "")
            )
        return Response(AdoptedVersionSerializer(self._fresh(adoption.version), context={"adoption": adoption}).data)

    @extend_schema(
        operation_id="mou_versions_what_if",
        description=WHAT_IF_DESCRIPTION,
        parameters=[WhatIfQuerySerializer],
        responses={
            200: WhatIfSerializer,
            400: OpenApiResponse(description="A published version (the what-if is for drafts), or a bad `on`"),
            403: OpenApiResponse(description="A council or agency user"),
            404: OpenApiResponse(description="No such version, or a draft the caller may not see"),
        },
    )
    @action(detail=True, methods=["get"], url_path="what-if")
    def what_if(self, request, pk=None):
        return what_if_response(request, self.get_object())


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
    on_costs = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="£/hour of the employer's on-costs: added to the pay where the binding version's pay cap counts "
        "them (`cap_basis` `pay_and_on_costs`); ignored otherwise",
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
    on_costs_counted = serializers.BooleanField(
        help_text="True when the binding version's pay cap compares the pay plus the on-costs (`pay_excess` "
        "counts them)"
    )

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
            "on_costs_counted": check.on_costs_counted,
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
            on_costs=data.get("on_costs"),
        )
        return Response(CapCheckSerializer(check).data)
