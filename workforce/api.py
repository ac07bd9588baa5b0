from functools import partial

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import file_upload_request, service_errors, with_own_tenant
from futuresocial.api.views import BaseViewSet
from region.models import Authority
from region.selectors import region_label
from workforce.filters import WorkforceReturnFilterSet
from workforce.models import NOT_NEGATIVE, PERCENTAGE, WorkforceReturn
from workforce.selectors import AREAS, Source, workforce_series
from workforce.services import workforce_return_submit
from workforce.uploads import COLUMNS, UploadRejected, workforce_returns_upload

# Agency and vacancy rates are at most 100 %, but turnover is not bounded (leavers in a year can outnumber staff).
RATE = partial(serializers.DecimalField, max_digits=12, decimal_places=1, read_only=True, allow_null=True)
FTE_FIELDS = ("permanent_fte", "agency_fte", "vacancies_fte", "leavers_fte")
UPLOAD_HELP = (
    f"CSV (UTF-8) or XLSX; first row: {', '.join(COLUMNS)} (absence_rate optional). authority is the ONS code."
)


class AuthoritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Authority
        fields = ["code", "la_code", "name", "kind"]


class AuthorityViewSet(BaseViewSet, viewsets.ReadOnlyModelViewSet):
    """The region's councils and children's trusts: public reference data for every signed-in user."""

    queryset = Authority.objects.order_by("name")
    serializer_class = AuthoritySerializer
    lookup_field = "code"
    filterset_fields = ["kind"]
    ordering_fields = ["name", "code"]


# --- workforce returns (SPEC §3, §7) ---


class WorkforceReturnSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Authority.objects.all(),
        required=False,
        error_messages={"does_not_exist": "unknown authority"},
        help_text="ONS code, e.g. E08000029. A council may leave it out (its own); the coordinator names one.",
    )
    agency_rate = RATE(help_text="agency FTE ÷ (agency + employed FTE) × 100")
    turnover_rate = RATE(help_text="leavers FTE ÷ employed FTE × 100")
    vacancy_rate = RATE(help_text="vacancies FTE ÷ (vacancies + employed FTE) × 100")

    class Meta:
        model = WorkforceReturn
        fields = [
            "id",
            "authority",
            "period_end",
            "permanent_fte",
            "agency_fte",
            "vacancies_fte",
            "leavers_fte",
            "absence_rate",
            "agency_rate",
            "turnover_rate",
            "vacancy_rate",
            "submitted_at",
        ]
        read_only_fields = ["submitted_at"]
        # DRF turns the model's min/max validators into its own limits: keep the model's words for them.
        extra_kwargs = {
            **{name: {"error_messages": {"min_value": NOT_NEGATIVE[0].message}} for name in FTE_FIELDS},
            "absence_rate": {
                "error_messages": {"min_value": PERCENTAGE[0].message, "max_value": PERCENTAGE[1].message}
            },
        }
        validators = []  # a second return for the same period end is a resubmission, not an error

    def validate(self, attrs):
        user = self.context["request"].user
        if self.instance is not None:
            # A return keeps its authority and period end; a resubmission changes its figures.
            for name in ("authority", "period_end"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["A submitted return keeps its authority and period end."]}
                    )
                attrs[name] = getattr(self.instance, name)
            return attrs
        return with_own_tenant(
            attrs, field="authority", user=user, message="You can only submit returns for your own authority."
        )


class WorkforceReturnUploadResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Returns in the file")
    created = serializers.IntegerField()
    resubmitted = serializers.IntegerField(help_text="Period ends already returned: their figures were replaced")


class WorkforceReturnUploadErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Row as a spreadsheet shows it (header: 1); null: file")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class WorkforceReturnUploadRejectedSerializer(serializers.Serializer):
    errors = WorkforceReturnUploadErrorSerializer(many=True)


@extend_schema_view(
    create=extend_schema(
        responses={201: WorkforceReturnSerializer, 200: WorkforceReturnSerializer},
        description="Submit a return (201), or resubmit the return of that authority and period end (200).",
    )
)
class WorkforceReturnViewSet(BaseViewSet, viewsets.ModelViewSet):
    """Councils' workforce returns, per authority and period end, with the derived rates (SPEC §3).

    A council reads and submits its own authority's; the coordinator any; analysts read all. Posting a period end
    already returned resubmits it (200): its figures are replaced and the earlier ones stay in its history. Returns
    are not deleted (a correction is a resubmission).
    """

    # One query per page (plus the count): returns joined to their authority.
    queryset = WorkforceReturn.objects.select_related("authority").order_by("-period_end", "authority__name", "id")
    serializer_class = WorkforceReturnSerializer
    filterset_class = WorkforceReturnFilterSet
    ordering_fields = ["period_end", "submitted_at", "id"]
    permission_classes = [WriteRoles]
    write_roles = (User.Role.COUNCIL, User.Role.COORDINATOR)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            workforce_return, created = workforce_return_submit(**serializer.validated_data, by=request.user)
        return Response(
            self.get_serializer(workforce_return).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_update(self, serializer):
        data = {name: getattr(serializer.instance, name) for name in WorkforceReturn.FIGURES}
        data.update(serializer.validated_data)
        with service_errors():
            serializer.instance, _ = workforce_return_submit(**data, by=self.request.user)

    @extend_schema(
        request=file_upload_request(UPLOAD_HELP),
        responses={201: WorkforceReturnUploadResultSerializer, 400: WorkforceReturnUploadRejectedSerializer},
        description=(
            "Upload a CSV or XLSX file of returns. Every row is checked before any is stored: a file with any bad "
            "row stores nothing and each bad row is named (row, column, message)."
        ),
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        file = request.FILES.get("file")
        if file is None:
            # The same shape as a rejected file's errors, as the schema documents for a 400 here.
            missing = {"row": None, "column": None, "message": "Send the file as the multipart field `file`."}
            return Response({"errors": [missing]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = workforce_returns_upload(file=file, user=request.user)
        except UploadRejected as rejected:
            return Response({"errors": rejected.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(WorkforceReturnUploadResultSerializer(result).data, status=status.HTTP_201_CREATED)


# --- stats/workforce/ (SPEC §7) ---


class WorkforceStatsQuerySerializer(serializers.Serializer):
    authority = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=(
            "ONS code of one of the region's authorities (e.g. E08000029), or, with source=official, of England "
            "(E92000001) or a region (E12000001 to E12000009: their published rows); leave out for the region."
        ),
    )
    source = serializers.ChoiceField(
        choices=Source.choices,
        default=Source.OFFICIAL,
        help_text="official: the DfE's published statistics (30 September each year); returns: the councils' own.",
    )

    def validate_authority(self, code):
        """An area (England or a region) stays its code; an authority's code becomes the authority."""
        if code in AREAS:
            return code
        authority = Authority.objects.filter(code=code).first()
        if authority is None:
            raise serializers.ValidationError("unknown authority")
        return authority

    def validate(self, attrs):
        if isinstance(attrs.get("authority"), str) and attrs["source"] != Source.OFFICIAL:
            raise serializers.ValidationError(
                {"authority": ["England and the regions have official figures only: use source=official."]}
            )
        return attrs


class WorkforcePointSerializer(serializers.Serializer):
    period_end = serializers.DateField()
    agency_rate = RATE(help_text="%; null when suppressed or not applicable (see suppressed)")
    turnover_rate = RATE(help_text="%; null when suppressed or not applicable (see suppressed)")
    vacancy_rate = RATE(help_text="%; null when suppressed or not applicable (see suppressed)")
    suppressed = serializers.DictField(
        child=serializers.CharField(),
        help_text=(
            "rate name → code, for each null rate: u low reliability, x not available, c withheld (confidential), "
            "z not applicable, low too small to publish"
        ),
    )
    authorities = serializers.IntegerField(
        allow_null=True, help_text="A sum over authorities (the region from returns): how many are in it"
    )
    release = serializers.CharField(help_text="Official figures: the statistics file; empty for returns")


class WorkforceStatsSerializer(serializers.Serializer):
    authority = serializers.CharField(
        allow_null=True, help_text="ONS code of the authority, England or the region asked for; null for the region"
    )
    area_name = serializers.CharField()
    source = serializers.ChoiceField(choices=Source.choices)
    series = WorkforcePointSerializer(many=True)


class WorkforceStatsView(APIView):
    """Agency, turnover and vacancy rates by period end, for an authority or the region.

    `source=official` (default): the DfE's published rates, readable by anyone signed in (public statistics); the
    region is its published row (else its authorities summed); England (`E92000001`) and each region
    (`E12000001` to `E12000009`) are their published rows. `source=returns`: the councils' own
    returns; the region sums the authorities' FTEs per period end. A council reads its own authority's returns and
    the region's sums (a sum of fewer than 3 authorities comes back withheld, code `c`); another authority's
    returns are **403** (the authority is public reference data, its returns are not the council's to read), as is
    any agency user's `source=returns`. A suppressed figure is null with its code in `suppressed`, never 0.
    """

    @extend_schema(
        parameters=[WorkforceStatsQuerySerializer],
        responses={
            200: WorkforceStatsSerializer,
            400: OpenApiResponse(description="Unknown authority code or source: field errors"),
            403: OpenApiResponse(description="source=returns for an authority that is not the caller's own"),
        },
    )
    def get(self, request):
        query = WorkforceStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        authority, source = query.validated_data.get("authority"), query.validated_data["source"]
        if isinstance(authority, str):  # England or a region: its published rows
            series = workforce_series(authority=None, area=authority, source=source, user=request.user)
            code, area_name = authority, AREAS[authority]
        else:
            series = workforce_series(authority=authority, source=source, user=request.user)
            code = authority.code if authority else None
            # The region's name with its authorities, counted only when it is the region asked for.
            area_name = authority.name if authority else region_label(authorities=Authority.objects.count())
        body = {
            "authority": code,
            "area_name": area_name,
            "source": source,
            "series": series,
        }
        return Response(WorkforceStatsSerializer(body).data)
