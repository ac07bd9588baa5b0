"""`GET /api/v1/stats/cost-benefit/`: the evaluation's cost-benefit model (futuresocial/cost_benefit.py) with the
inputs given as query parameters, read through the page's own form (dashboards.forms.CostBenefitForm), so the page
and the API accept, refuse and default the same way. Money as decimal strings in pounds (to the penny)."""

from django.core.exceptions import PermissionDenied

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.forms import CostBenefitForm, NamedOrNumberField, SeriesField
from dashboards.selectors import cost_benefit_region_figures
from futuresocial.cost_benefit import (
    YEARS,
    absence_fte_regained,
    break_even,
    cost_benefit,
    looked_after_children_by_year,
    ratio_shown,
    recruits_avoided,
    unit_savings,
    workforce_with_programme,
)
from futuresocial.disclosure import WITHHELD


def MONEY(**kwargs):  # noqa: N802 (a field factory, named like the fields it makes)
    return serializers.DecimalField(max_digits=None, decimal_places=2, coerce_to_string=True, **kwargs)


def FTE(**kwargs):  # noqa: N802
    return serializers.DecimalField(max_digits=None, decimal_places=2, coerce_to_string=True, **kwargs)


class CostBenefitSavingsSerializer(serializers.Serializer):
    agency_workers = MONEY(help_text="Fewer agency workers: each replaced by an employed one")
    mou = MONEY(help_text="The MoU's lower agency rates, the share attributed to the programme")
    turnover = MONEY(help_text="Recruitment and induction avoided by lower turnover")
    absence = MONEY(help_text="Work regained by lower absence, at the average salary")
    looked_after_children = MONEY(help_text="Fewer looked after children (attributed share × unit cost)")


class CostBenefitYearSerializer(serializers.Serializer):
    year = serializers.CharField(help_text="Financial year, e.g. 2020/21")
    discount_factor = serializers.DecimalField(max_digits=None, decimal_places=6, coerce_to_string=True)
    costs = MONEY(help_text="Programme costs counted (total or the Innovation Fund's)")
    present_value_costs = MONEY()
    savings = CostBenefitSavingsSerializer()
    benefits = MONEY(help_text="All savings")
    present_value_benefits = MONEY()
    net_present_value = MONEY()
    social_workers = FTE(help_text="Employed social workers with the programme (FTE)")
    agency_workers = FTE(help_text="Agency workers with the programme (FTE)")
    recruits_avoided = FTE(help_text="Recruitment no longer needed (FTE)")
    absence_fte_regained = FTE(help_text="Work regained by lower absence (FTE)")
    looked_after_children = FTE()


class CostBenefitUnitSavingsSerializer(serializers.Serializer):
    agency_fte_moved = MONEY(help_text="A year, per agency worker replaced by an employed one (£18,117.90)")
    turnover_point_agency = MONEY(help_text="A year, per point less turnover, recruiting through an agency")
    turnover_point_in_house = MONEY(help_text="A year, per point less turnover, recruiting in house")
    mou_point_low = MONEY(help_text="A year, per 1 % of the MoU's low (7 %) saving attributed")
    mou_point_high = MONEY(help_text="A year, per 1 % of the MoU's high (29 %) saving attributed")
    absence_tenth_point = MONEY(help_text="A year, per 0.1 point less absence")
    looked_after_child = MONEY(help_text="A year, per looked after child fewer (the unit cost)")


class CostBenefitBreakEvenSerializer(serializers.Serializer):
    lever = serializers.ChoiceField(choices=["agency_workers", "turnover", "absence", "looked_after_children", "mou"])
    unit = serializers.CharField()
    exact = serializers.DecimalField(
        max_digits=None, decimal_places=4, coerce_to_string=True, allow_null=True, help_text="The break-even change"
    )
    enough = serializers.DecimalField(
        max_digits=None,
        decimal_places=1,
        coerce_to_string=True,
        allow_null=True,
        help_text="Rounded up: whole workers or children, 0.1 point, whole %",
    )
    rate_to = serializers.DecimalField(
        max_digits=None, decimal_places=1, coerce_to_string=True, allow_null=True, help_text="Turnover, absence: to"
    )
    possible = serializers.BooleanField(help_text="False: this change on its own cannot cover the costs")


class CostBenefitSerializer(serializers.Serializer):
    figures = serializers.ChoiceField(choices=["evaluation", "region"])
    inputs = serializers.DictField(
        child=serializers.JSONField(), help_text="Every input used (yearly series as six values, 2017/18 first)"
    )
    sources = serializers.DictField(child=serializers.CharField(), help_text="Where each input came from")
    withheld = serializers.DictField(
        child=serializers.CharField(),
        help_text=(
            "With figures=region: the region's figures withheld from this reader, {input name: code}. A council's "
            "region figures add up only the months' groups of at least 3 placements and 3 authorities (a smaller "
            "one would give another authority's or agency's rates away); code `c` (DfE's 'confidential'): the "
            "figure has no such group, and the input uses the evaluation's figure instead (see `sources`). Empty "
            "for the coordinator and analysts."
        ),
    )
    yearly = CostBenefitYearSerializer(many=True)
    present_value_costs = MONEY()
    present_value_benefits = MONEY()
    net_present_value = MONEY()
    benefit_cost_ratio = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=True,
        help_text="Present value of benefits ÷ of costs, rounded down (1.00: covered); null when no costs",
    )
    unit_savings = CostBenefitUnitSavingsSerializer()
    break_even = CostBenefitBreakEvenSerializer(many=True)


def _parameter(name, field) -> OpenApiParameter:
    description = field.label
    if field.help_text:
        description += f" ({field.help_text})"
    enum = None
    if isinstance(field, SeriesField):
        description += ", e.g. 0,0,0,-64,-64,-64"
    elif isinstance(field, NamedOrNumberField):
        description += f": {', '.join(field.named)} or a number"
    elif getattr(field, "choices", None):
        enum = [value for value, _ in field.choices]
    kind = OpenApiTypes.NUMBER if field.__class__.__name__ == "DecimalField" else OpenApiTypes.STR
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, description=description, enum=enum)


PARAMETERS = [_parameter(name, field) for name, field in CostBenefitForm.base_fields.items()]


class ReadsFigures(BasePermission):
    message = "The cost-benefit model is for the workforce coordinator, analysts and councils."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.reads_figures)


def _plain(value):
    if isinstance(value, tuple):
        return [str(number) for number in value]
    return str(value)


class CostBenefitView(APIView):
    """The evaluation's cost-benefit model (FutureSocial evaluation 2020, Appendix 3). Every input is a query
    parameter, left out for the evaluation's figure (or, with `figures=region`, the region's own where the product
    has one); yearly series are six comma-separated values, 2017/18 first. The answer gives the inputs used and
    where each came from, the yearly tables, the present values at the discount rate, the net present value, the
    benefit-cost ratio, a year's saving from one unit of each lever, and the change in each lever that would cover
    the costs on its own (`break_even`). The coordinator and analysts may give any input; a council reads the model
    with the evaluation's or the region's figures (`figures` only: other inputs are a 403); agencies may not."""

    permission_classes = [ReadsFigures]

    @extend_schema(
        parameters=PARAMETERS,
        responses={
            200: CostBenefitSerializer,
            400: OpenApiResponse(description="An input that is not a number, out of range or not six values"),
            403: OpenApiResponse(description="An agency; or a council giving inputs other than figures"),
        },
    )
    def get(self, request):
        user = request.user
        given = [name for name in request.query_params if name in CostBenefitForm.base_fields and name != "figures"]
        if given and not user.is_regional:
            raise PermissionDenied(
                "A council reads the model with the evaluation's or the region's figures (figures=region); the "
                f"coordinator and analysts change its inputs ({', '.join(given)})."
            )
        wants_region = request.query_params.get("figures") == "region"
        region_figures, withheld = cost_benefit_region_figures(user=user) if wants_region else ({}, set())
        form = CostBenefitForm(request.query_params or None, region_figures=region_figures, withheld=withheld)
        if form.is_bound and not form.is_valid():
            raise serializers.ValidationError({name: list(errors) for name, errors in form.errors.items()})
        inputs = form.inputs()
        result = cost_benefit(inputs)
        social, agency = workforce_with_programme(inputs)
        recruits, regained = recruits_avoided(inputs), absence_fte_regained(inputs)
        children = looked_after_children_by_year(inputs)
        yearly = []
        for year, name in enumerate(YEARS):
            savings = {kind: values[year] for kind, values in result.savings.items()}
            yearly.append(
                {
                    "year": name,
                    "discount_factor": result.discount_factors[year],
                    "costs": result.costs[year],
                    "present_value_costs": result.present_value_costs_by_year[year],
                    "savings": savings,
                    "benefits": result.benefits[year],
                    "present_value_benefits": result.present_value_benefits_by_year[year],
                    "net_present_value": result.present_value_benefits_by_year[year]
                    - result.present_value_costs_by_year[year],
                    "social_workers": social[year],
                    "agency_workers": agency[year],
                    "recruits_avoided": recruits[year],
                    "absence_fte_regained": regained[year],
                    "looked_after_children": children[year],
                }
            )
        names = [name for name in CostBenefitForm.base_fields if name != "figures"]
        body = {
            "figures": "region" if wants_region else "evaluation",
            "inputs": {name: _plain(form.value_and_source(name)[0]) for name in names},
            "sources": {name: form.source(name) for name in names},
            "withheld": dict.fromkeys(sorted(withheld), WITHHELD),
            "yearly": yearly,
            "present_value_costs": result.present_value_costs,
            "present_value_benefits": result.present_value_benefits,
            "net_present_value": result.net_present_value,
            "benefit_cost_ratio": ratio_shown(result.benefit_cost_ratio),
            "unit_savings": unit_savings(inputs).__dict__,
            "break_even": [{**answer.__dict__, "possible": answer.possible} for answer in break_even(inputs)],
        }
        return Response(CostBenefitSerializer(body).data)
