"""`GET /api/v1/dfe-returns/?authority=E08000029&quarter=2025-Q1`: a council's DfE quarterly return as JSON, or as
CSV (`?format=csv`: the whole return, a leading `section` column naming each row's section; `&section=` for one) or
an XLSX workbook (`?format=xlsx`)."""

from django.http import Http404

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from dfe.exports import return_csv, return_xlsx, section_csv
from dfe.returns import SECTIONS, BadQuarter, Quarter, UnknownAuthority, authority_by_code, dfe_return

MONEY = dict(max_digits=14, decimal_places=2)
RATE = dict(max_digits=7, decimal_places=2)


class CouncilOrRegional(BasePermission):
    message = "The DfE quarterly return is a council's: councils, the coordinator and analysts can read it."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.reads_figures)


class FilesByQueryParameter(DefaultContentNegotiation):
    """JSON always: `?format=csv|xlsx` is read by the view, which answers with the file itself (DRF would otherwise
    look for a renderer for the format and answer 404), and errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DfeReturnQuerySerializer(serializers.Serializer):
    authority = serializers.CharField(
        required=False,
        help_text="ONS code (E08000029) or DfE LA code (334). A council's own by default; required otherwise",
    )
    quarter = serializers.CharField(
        required=False, help_text="YYYY-QN, e.g. 2025-Q1 = January to March 2025 (default: the last complete quarter)"
    )
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], required=False, default="json")
    section = serializers.ChoiceField(
        choices=list(SECTIONS),
        required=False,
        help_text="With format=csv: one section only (default: the whole return, a leading `section` column)",
    )

    def validate_quarter(self, value):
        try:
            return Quarter.returnable(value)
        except BadQuarter as error:
            raise serializers.ValidationError(str(error)) from error


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


class DfeReturnView(APIView):
    permission_classes = [CouncilOrRegional]
    content_negotiation_class = FilesByQueryParameter

    @extend_schema(
        operation_id="dfe_return",
        description=(
            "A council's DfE quarterly return on its agency social workers, generated from the data: placements "
            "active in the quarter (role type, hourly pay, start and end dates, registration number, project-team "
            "flag, agency), breach cases (detected in the quarter or with offending work in it), sign-offs (cap "
            "exceptions valid in the quarter), agencies whose behaviour affected compliance, and the monthly total "
            "cost (charge × hours of current timesheet lines). A council reads its own authority's (another "
            "authority: 404); the coordinator and analysts any; agencies 403. `format=csv` gives the whole return "
            "as one CSV: a row per row of every section, its first column `section` naming the section, then every "
            "section's headings (empty where a column is not the row's section's); `section` gives one section's "
            "CSV instead. `format=xlsx` gives the whole return as a workbook, a cover sheet and a sheet per section. "
            "Text starting =, +, -, @, tab or carriage return is written with a leading ' in both files, so a "
            "spreadsheet shows it rather than running it as a formula. Quarters from 2015-Q1 (the Agency Protocol's "
            "first) to the current one."
        ),
        parameters=[DfeReturnQuerySerializer],
        responses={
            (200, "application/json"): DfeReturnSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description='Field errors, e.g. {"quarter": ["“2025-Q5” is not a quarter: …"]}'),
            403: OpenApiResponse(description="An agency user"),
            404: OpenApiResponse(description="Another council's authority"),
        },
    )
    def get(self, request):
        params = DfeReturnQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        authority = self._authority(request.user, data.get("authority"))
        ret = dfe_return(authority=authority, quarter=data.get("quarter") or Quarter.last_complete())
        if data["format"] == "csv":
            return section_csv(ret, data["section"]) if data.get("section") else return_csv(ret)
        if data["format"] == "xlsx":
            return return_xlsx(ret)
        return Response(DfeReturnSerializer(ret).data)

    def _authority(self, user, code):
        if not code:
            if user.is_council:
                return user.authority
            raise serializers.ValidationError({"authority": ["Name the authority: its ONS code, e.g. E08000029."]})
        try:
            authority = authority_by_code(code, user=user)
        except UnknownAuthority as error:
            raise serializers.ValidationError({"authority": [str(error)]}) from error
        if authority is None:
            raise Http404("No such authority among those whose return you may read.")
        return authority
