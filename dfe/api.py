"""`GET /api/v1/dfe-returns/?authority=E08000029&quarter=2025-Q1`: a council's DfE quarterly return as JSON, or as
CSV (`?format=csv`: the whole return, a leading `section` column naming each row's section; `&section=` for one) or
an XLSX workbook (`?format=xlsx`). `POST /api/v1/dfe-returns/file/` files a quarter's return; `GET
/api/v1/dfe-returns/filed/` gives it back as filed, with the differences from today's."""

from django.http import Http404

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from dfe.exports import return_csv, return_xlsx, section_csv
from dfe.returns import SECTIONS, BadQuarter, Quarter, UnknownAuthority, authority_by_code, dfe_return
from dfe.selectors import differences, filing_of, live_return_json
from dfe.serializers import DfeReturnSerializer, FiledReturnDifferencesSerializer, FiledReturnSerializer
from dfe.services import dfe_return_file
from futuresocial.api.serializers import service_errors


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


class AuthorityQuarterSerializer(serializers.Serializer):
    """Which return: the authority and the quarter, as every dfe-returns endpoint names them."""

    authority = serializers.CharField(
        required=False,
        help_text="ONS code (E08000029) or DfE LA code (334). A council's own by default; required otherwise",
    )
    quarter = serializers.CharField(
        required=False, help_text="YYYY-QN, e.g. 2025-Q1 = January to March 2025 (default: the last complete quarter)"
    )

    def validate_quarter(self, value):
        try:
            return Quarter.returnable(value)
        except BadQuarter as error:
            raise serializers.ValidationError(str(error)) from error


class DfeReturnQuerySerializer(AuthorityQuarterSerializer):
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], required=False, default="json")
    section = serializers.ChoiceField(
        choices=list(SECTIONS),
        required=False,
        help_text="With format=csv: one section only (default: the whole return, a leading `section` column)",
    )


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
        authority = authority_asked(request.user, data.get("authority"))
        ret = dfe_return(authority=authority, quarter=data.get("quarter") or Quarter.last_complete())
        if data["format"] == "csv":
            return section_csv(ret, data["section"]) if data.get("section") else return_csv(ret)
        if data["format"] == "xlsx":
            return return_xlsx(ret)
        return Response(DfeReturnSerializer(ret).data)


def authority_asked(user, code):
    """The authority a request names (a council's own when it names none): a 400 when unknown or missing, a 404 when
    it is one whose return `user` may not read (another council's)."""
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


# --- Filing: `POST dfe-returns/file/` files a quarter's return; `GET dfe-returns/filed/` reads it back, with what
# has changed in the data since.


class FilesReturns(BasePermission):
    message = (
        "A council files its own DfE return, and the workforce coordinator any council's: analysts and agencies cannot."
    )

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_coordinator or (user.is_council and user.authority_id)))


class DfeReturnFileSerializer(AuthorityQuarterSerializer):
    quarter = serializers.CharField(help_text="YYYY-QN, e.g. 2025-Q1: a quarter that has ended")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Kept with the filed return"
    )


class DfeReturnFileView(APIView):
    permission_classes = [FilesReturns]

    @extend_schema(
        operation_id="dfe_return_file",
        description=(
            "File a council's DfE quarterly return: the return as `GET dfe-returns/` gives it now is stored as "
            "filed, with who filed it and when, and never changes. Once per authority and quarter: filing again is "
            "a 400 naming who filed it and when (the filed return is not changed; correcting it is not done here). "
            "A quarter that has not ended is a 400. A council files its own authority's (another authority: 404), "
            "the coordinator any; analysts and agencies 403."
        ),
        request=DfeReturnFileSerializer,
        responses={
            201: FiledReturnSerializer,
            400: OpenApiResponse(
                description='Already filed, or not ended: {"quarter": ["2025-Q2 ends on 30 June 2025: file it '
                'after."]}, {"non_field_errors": ["The 2025-Q1 return of Solihull was already filed by …"]}'
            ),
            403: OpenApiResponse(description="An analyst or an agency user"),
            404: OpenApiResponse(description="Another council's authority"),
        },
    )
    def post(self, request):
        body = DfeReturnFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        authority = authority_asked(request.user, data.get("authority"))
        with service_errors():
            filing = dfe_return_file(authority=authority, quarter=data["quarter"], by=request.user, note=data["note"])
        return Response(FiledReturnSerializer(filing).data, status=status.HTTP_201_CREATED)


class DfeReturnFiledView(APIView):
    permission_classes = [CouncilOrRegional]

    @extend_schema(
        operation_id="dfe_return_filed",
        description=(
            "A council's DfE quarterly return as filed (`return`: the JSON `GET dfe-returns/` gave when it was "
            "filed), with who filed it, when and their note, and `differences`: today's return against it, section "
            "by section — rows `added` (in today's only), `removed` (in the filed one only) and `changed` (each "
            "field's filed value and value now), rows matched by placement, breach, cap_exception, agency_id, month "
            "or rule. 404 when the quarter has not been filed. Who may read it as for `GET dfe-returns/`."
        ),
        parameters=[AuthorityQuarterSerializer],
        responses={
            200: FiledReturnDifferencesSerializer,
            400: OpenApiResponse(description='Field errors, e.g. {"quarter": ["“2025-Q5” is not a quarter: …"]}'),
            403: OpenApiResponse(description="An agency user"),
            404: OpenApiResponse(description="Another council's authority, or a quarter not filed"),
        },
    )
    def get(self, request):
        params = AuthorityQuarterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        authority = authority_asked(request.user, data.get("authority"))
        quarter = data.get("quarter") or Quarter.last_complete()
        filing = filing_of(authority=authority, quarter=quarter)
        if filing is None:
            raise Http404(f"{authority}'s return for {quarter} has not been filed.")
        diff = differences(filing.filed, live_return_json(authority=authority, quarter=quarter))
        return Response(FiledReturnDifferencesSerializer(filing, context={"differences": diff}).data)
