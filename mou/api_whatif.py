"""`GET /api/v1/mou-versions/{id}/what-if/`: the serializers of the what-if's answer and the action's body.

The action itself sits on `MouVersionViewSet` (mou/api.py) and calls `what_if_response` here: the version is found
through the viewset's scoped queryset first (a draft is invisible to councils and agencies: 404), then the role
check (a council or agency asking about a published version: 403), then the what-if (a published version: 400).
"""

from django.core.exceptions import ValidationError

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from mou.whatif import COST_MODEL, what_if

MONEY = dict(max_digits=14, decimal_places=2)
RATE = dict(max_digits=7, decimal_places=2)


class WhatIfQuerySerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="The day whose running placements are judged (default: today)")


class WhatIfTallySerializer(serializers.Serializer):
    current_placements = serializers.IntegerField(help_text="Placements running on the day")
    above_cap_now = serializers.IntegerField(help_text="Above the caps of the version that binds them on the day")
    above_draft_cap = serializers.IntegerField(help_text="Above the draft's caps")
    newly_above_cap = serializers.IntegerField(help_text="Above the draft's caps but within the caps now")
    no_longer_above_cap = serializers.IntegerField(help_text="Above the caps now but within the draft's")
    annual_cost = serializers.DecimalField(**MONEY, help_text="£ a year now: charge rate × annual hours")
    annual_change = serializers.DecimalField(
        **MONEY, help_text="£ a year if the placements above the draft's caps were brought within them (≤ 0)"
    )


class WhatIfRoleSerializer(WhatIfTallySerializer):
    role = serializers.CharField(help_text="Role code")
    role_name = serializers.CharField()
    capped = serializers.BooleanField(help_text="False: outside the MoU, never above a cap")


class WhatIfAgencySerializer(WhatIfTallySerializer):
    agency = serializers.IntegerField(help_text="Agency id")
    agency_name = serializers.CharField()


class WhatIfAuthoritySerializer(WhatIfTallySerializer):
    authority = serializers.CharField(help_text="ONS code")
    authority_name = serializers.CharField()


class WhatIfPlacementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    worker_swe_number = serializers.CharField()
    agency = serializers.IntegerField(source="agency_id")
    agency_name = serializers.CharField()
    authority = serializers.CharField(source="authority_code")
    role = serializers.CharField(source="role_code")
    engagement_type = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    pay_rate = serializers.DecimalField(**RATE, help_text="Agreed hourly pay, £")
    charge_rate = serializers.DecimalField(**RATE, help_text="Agreed hourly charge, £")
    draft_pay_cap = serializers.DecimalField(**RATE, allow_null=True)
    draft_charge_cap = serializers.DecimalField(**RATE, allow_null=True)
    pay_excess = serializers.DecimalField(**RATE, help_text="£/hour above the draft pay cap")
    charge_excess = serializers.DecimalField(**RATE, help_text="£/hour above the draft charge cap")
    now_pay_cap = serializers.DecimalField(**RATE, allow_null=True, help_text="Pay cap binding it on the day")
    now_charge_cap = serializers.DecimalField(**RATE, allow_null=True)
    above_draft_cap = serializers.BooleanField()
    above_cap_now = serializers.BooleanField()
    annual_change = serializers.DecimalField(**MONEY, help_text="£ a year if brought within the draft's caps")
    cap_exception_until = serializers.DateField(
        allow_null=True, help_text="A council's signed cap exception covers the placement on the day, until this date"
    )


class VersionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    effective_from = serializers.DateField()
    binds_existing_from = serializers.DateField()


class WhatIfSerializer(serializers.Serializer):
    """What a draft MoU version would change for the placements running on a day."""

    mou_version = VersionBriefSerializer(source="version")
    compared_with = VersionBriefSerializer(source="in_force", allow_null=True, help_text="The version in force")
    on = serializers.DateField()
    annual_hours = serializers.DecimalField(max_digits=6, decimal_places=0, help_text="37 h × 45 weeks")
    cost_model = serializers.CharField()
    totals = WhatIfTallySerializer(help_text="The region")
    by_role = WhatIfRoleSerializer(many=True)
    by_agency = WhatIfAgencySerializer(many=True, help_text="Agencies with a placement above the caps, now or draft")
    by_authority = WhatIfAuthoritySerializer(many=True)
    placements = WhatIfPlacementSerializer(
        many=True,
        help_text="Every placement above the draft's caps or above the caps now, largest saving first (not paginated:"
        " at most the region's current placements)",
    )


WHAT_IF_DESCRIPTION = (
    "Coordinator and analyst only. For a draft MoU version: which placements running on `on` (default today) would "
    "be above its caps (pay above the pay cap or charge above the charge cap for the role and engagement type; a cap "
    "for the engagement type wins over the any-engagement cap; equal to the cap is within it; uncapped roles never), "
    "by role, agency and authority, compared with the caps binding them now. " + COST_MODEL + " A published version "
    "is a 400: the what-if is for drafts. Drafts are invisible to councils and agencies (404)."
)


def what_if_response(request, version) -> Response:
    if not request.user.is_regional:
        raise PermissionDenied("Only the workforce coordinator and analysts can see a what-if.")
    params = WhatIfQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    try:
        result = what_if(version=version, on=params.validated_data.get("on"))
    except ValidationError as error:
        raise serializers.ValidationError({"detail": error.messages}) from error
    return Response(WhatIfSerializer(result).data)
