"""The DfE return as the API gives it (`GET /api/v1/dfe-returns/`), and as a filing stores it: the filed snapshot
is this serializer's output, so the return as filed and the live one have the same shape and can be compared."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY = dict(max_digits=14, decimal_places=2)
RATE = dict(max_digits=7, decimal_places=2)


class AuthorityBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    la_code = serializers.CharField()
    name = serializers.CharField()


class ReturnPlacementSerializer(serializers.Serializer):
    placement = serializers.IntegerField()
    worker_swe_number = serializers.CharField(help_text="Social Work England registration number")
    role = serializers.CharField(help_text="Role type: SW, SSW, AP, TM, IRO (capped) or SM")
    role_name = serializers.CharField()
    engagement_type = serializers.CharField()
    agency = serializers.CharField()
    agency_company_number = serializers.CharField()
    hourly_pay = serializers.DecimalField(**RATE)
    hourly_charge = serializers.DecimalField(**RATE)
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    project_team = serializers.BooleanField()


class ReturnBreachSerializer(serializers.Serializer):
    breach = serializers.IntegerField()
    rule = serializers.CharField()
    rule_label = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField()
    agency = serializers.CharField()
    placement = serializers.IntegerField(allow_null=True)
    worker_swe_number = serializers.CharField(allow_null=True)
    detected_on = serializers.DateField()
    mou_version = serializers.CharField(allow_null=True)
    cap = serializers.DecimalField(**RATE, allow_null=True)
    excess_in_quarter = serializers.DecimalField(**MONEY, help_text="£ above the cap on work dated in the quarter")
    excess_total = serializers.DecimalField(**MONEY, help_text="£ above the cap, the whole case")
    description = serializers.CharField(allow_blank=True)


class ReturnSignOffSerializer(serializers.Serializer):
    cap_exception = serializers.IntegerField()
    placement = serializers.IntegerField()
    worker_swe_number = serializers.CharField()
    role = serializers.CharField()
    agency = serializers.CharField()
    hourly_pay = serializers.DecimalField(**RATE)
    signed_by_dcs = serializers.CharField(help_text="Director of children's services")
    signed_by_chief_executive = serializers.CharField()
    reason = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


class ReturnAgencySerializer(serializers.Serializer):
    agency = serializers.CharField()
    agency_id = serializers.IntegerField()
    company_number = serializers.CharField()
    standing = serializers.CharField(help_text="Standing today")
    breaches = serializers.IntegerField(help_text="Breach cases at the authority in the quarter")
    excess_in_quarter = serializers.DecimalField(**MONEY)
    suspensions = serializers.CharField(allow_blank=True, help_text="Suspensions in effect during the quarter")
    why = serializers.CharField()


class ReturnMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    placements = serializers.IntegerField(help_text="Placements with work in the month")
    hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    pay_total = serializers.DecimalField(**MONEY)
    total_cost = serializers.DecimalField(**MONEY, help_text="Charge rate × hours of the current timesheet lines")


class ReturnComplianceSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The rule's code (SPEC §4), as breach cases name it")
    rule_label = serializers.CharField()
    complied = serializers.BooleanField(help_text="No breach case of this rule at the authority in the quarter")
    placements = serializers.IntegerField(help_text="Placements with a case of this rule in the quarter")
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Each case; each case dismissed, with why; for the caps, each sign-off that allowed pay above them",
    )


class DfeReturnSerializer(serializers.Serializer):
    authority = AuthorityBriefSerializer()
    quarter = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    generated_at = serializers.DateTimeField()
    total_cost = serializers.DecimalField(**MONEY)
    placements = ReturnPlacementSerializer(many=True, help_text="Placements at the authority active in the quarter")
    breaches = ReturnBreachSerializer(
        many=True, help_text="Breach cases at the authority detected in the quarter or with offending work in it"
    )
    sign_offs = ReturnSignOffSerializer(
        many=True, help_text="Cap exceptions (signed by the DCS and the chief executive) valid during the quarter"
    )
    agencies = ReturnAgencySerializer(
        many=True, help_text="Agencies with breaches there in the quarter, or suspended in it while supplying it"
    )
    monthly_costs = ReturnMonthSerializer(many=True)
    compliance = ReturnComplianceSerializer(
        many=True, help_text="Compliance with each rule over the quarter's placements at the authority"
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["quarter"] = str(instance.quarter)
        return data


# --- Filing


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's key, as in the return's JSON")
    filed = serializers.JSONField(help_text="Its value in the return as filed")
    now = serializers.JSONField(help_text="Its value in today's return")


class RowChangeSerializer(serializers.Serializer):
    key = serializers.JSONField(
        help_text="The row's key: placement, breach, cap_exception, agency_id, month or rule, by section"
    )
    fields = FieldChangeSerializer(many=True)


class SectionDifferencesSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.DictField(), help_text="Rows in today's return only")
    removed = serializers.ListField(child=serializers.DictField(), help_text="Rows in the return as filed only")
    changed = RowChangeSerializer(many=True, help_text="Rows in both whose values differ")


class ReturnDifferencesSerializer(serializers.Serializer):
    placements = SectionDifferencesSerializer()
    breaches = SectionDifferencesSerializer()
    sign_offs = SectionDifferencesSerializer()
    agencies = SectionDifferencesSerializer()
    monthly_costs = SectionDifferencesSerializer()
    compliance = SectionDifferencesSerializer()


@extend_schema_field(DfeReturnSerializer)
class FiledReturnJSONField(serializers.JSONField):
    """The filed JSON as stored: exactly what `DfeReturnSerializer` gave on the day."""


class FiledReturnSerializer(serializers.Serializer):
    authority = AuthorityBriefSerializer()
    quarter = serializers.CharField()
    filed_by = serializers.StringRelatedField(help_text="Who filed it: their name, or username when none is recorded")
    filed_at = serializers.DateTimeField()
    note = serializers.CharField(allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        # `return` is a Python keyword, so it cannot be declared as a class attribute like the others.
        fields["return"] = FiledReturnJSONField(source="filed", help_text="The return as filed")
        return fields


class FiledReturnDifferencesSerializer(FiledReturnSerializer):
    differences = serializers.SerializerMethodField(
        help_text="Today's return against the return as filed, section by section"
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["differences"] = fields.pop("differences")  # after the return it compares with
        return fields

    @extend_schema_field(ReturnDifferencesSerializer)
    def get_differences(self, filing):
        return self.context["differences"]
