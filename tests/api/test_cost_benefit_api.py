"""`GET /api/v1/stats/cost-benefit/`: the evaluation's cost-benefit model with its inputs as query parameters
(SPEC §7): the published figures with no parameters, each break-even scenario's ratio, refusals, and who may ask."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import WorkforceReturnFactory

URL = "/api/v1/stats/cost-benefit/"

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_with_no_parameters_it_answers_the_evaluations_figures(analyst):
    body = api(analyst).get(URL).json()
    assert body["present_value_costs"] == "2941327.81"  # "£2.94 million"
    assert [row["present_value_costs"][:3] for row in body["yearly"][:4]] == ["436", "754", "882", "868"]
    assert [round(Decimal(row["present_value_costs"]) / 1000) for row in body["yearly"]] == [436, 755, 882, 869, 0, 0]
    assert (body["present_value_benefits"], body["net_present_value"]) == ("0.00", "-2941327.81")
    assert body["benefit_cost_ratio"] == "0.00"
    assert body["unit_savings"] == {
        "agency_fte_moved": "18117.90",
        "turnover_point_agency": "199937.50",
        "turnover_point_in_house": "78937.49",
        "mou_point_low": "29330.58",
        "mou_point_high": "121512.39",
        "absence_tenth_point": "134400.00",
        "looked_after_child": "40000.00",
    }
    assert body["inputs"]["agency_fte_change"] == ["0", "0", "0", "0", "0", "0"]
    assert body["inputs"]["social_workers"] == "3199" and body["sources"]["social_workers"] == "the evaluation (2020)"
    assert [row["year"] for row in body["yearly"]] == ["2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]


@pytest.mark.parametrize(
    "query, ratio",
    [
        ("agency_fte_change=0,0,0,-64,-64,-64", "1.03"),
        ("agency_fte_change=0,0,0,-62,-62,-62", "0.99"),
        ("turnover_rate_with=15.9,15.9,15.9,10,10,10", "1.04"),
        ("turnover_rate_with=15.9,15.9,15.9,10,10,10&recruitment=in_house", "0.41"),
        ("absence_rate_with=3.8,3.8,3.8,2.9,2.9,2.9", "1.07"),
        ("lac_change=0,0,0,-20,-20,-20&lac_unit_cost=gmca", "1.04"),
        ("lac_change=0,0,0,-20,-20,-20&lac_unit_cost=business_case", "0.71"),
        ("lac_change=0,0,0,-20,-20,-20&lac_unit_cost=58664&lac_attribution=50", "0.52"),
        ("mou_saving=medium&mou_attribution=7", "1.09"),
        ("mou_saving=medium&mou_attribution=6", "0.94"),
        ("mou_saving=high&mou_attribution=7&costs=innovation_fund", "3.23"),
    ],
)
def test_each_scenario_answers_its_ratio_rounded_down(coordinator, query, ratio):
    response = api(coordinator).get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    assert response.json()["benefit_cost_ratio"] == ratio


def test_a_scenario_answers_its_yearly_savings_and_break_even(coordinator):
    body = api(coordinator).get(URL, {"agency_fte_change": "0,0,0,-64,-64,-64"}).json()
    year = body["yearly"][3]
    assert year["savings"]["agency_workers"] == "1159545.60"  # 64 × £18,117.90
    assert (year["social_workers"], year["agency_workers"]) == ("3263.00", "577.00")
    assert body["sources"]["agency_fte_change"] == "typed here"
    levers = {answer["lever"]: answer for answer in body["break_even"]}
    # Each lever on its own, its own setting replaced: 63 agency workers would do; the others need nothing more.
    assert levers["agency_workers"]["enough"] == "63.0" and levers["agency_workers"]["possible"] is True
    assert (levers["absence"]["enough"], levers["absence"]["rate_to"]) == ("0.0", "3.8")


@pytest.mark.parametrize(
    "query, field",
    [
        ("agency_fte_change=0,0,-64", "agency_fte_change"),
        ("lac_unit_cost=cheap", "lac_unit_cost"),
        ("mou_saving=-3", "mou_saving"),
        ("recruitment=headhunter", "recruitment"),
        ("discount_rate=abc", "discount_rate"),
        ("turnover_rate_with=1,2,3,4,5,101", "turnover_rate_with"),
        ("hours_per_week=0", "hours_per_week"),
        ("costs_other=1e99,0,0,0,0,0", "costs_other"),
    ],
)
def test_an_impossible_input_is_a_400_naming_it(coordinator, query, field):
    response = api(coordinator).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_council_reads_the_model_but_may_not_change_its_inputs(council_user):
    assert api(council_user).get(URL).status_code == 200
    assert api(council_user).get(URL, {"figures": "region"}).status_code == 200
    response = api(council_user).get(URL, {"agency_fte_change": "0,0,0,-64,-64,-64"})
    assert response.status_code == 403
    assert "agency_fte_change" in response.json()["detail"]


def test_an_agency_may_not_ask(agency_user):
    assert api(agency_user).get(URL).status_code == 403


def test_the_regions_figures_say_where_they_came_from(analyst, solihull, coventry):
    WorkforceReturnFactory(authority=solihull)
    WorkforceReturnFactory(authority=coventry, permanent_fte="220.00", agency_fte="55.00", leavers_fte="33.00")
    body = api(analyst).get(URL, {"figures": "region", "mou_attribution": "10"}).json()
    assert body["figures"] == "region"
    assert (body["inputs"]["social_workers"], body["inputs"]["agency_workers"]) == ("400.00", "100.00")
    assert body["sources"]["social_workers"] == "the councils' returns for 30 September 2024 (2 authorities)"
    assert body["sources"]["mou_attribution"] == "typed here"
    assert body["sources"]["lac_unit_cost"] == "the evaluation (2020)"
    # 100 agency workers × £65,367.90 × 20 % × 10 %, every year
    assert body["yearly"][0]["savings"]["mou"] == "130735.80"


def test_the_schema_documents_every_input(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"agency_fte_change", "turnover_rate_with", "absence_rate_with", "lac_change", "lac_attribution"} <= names
    assert {"lac_unit_cost", "mou_saving", "mou_attribution", "recruitment", "costs", "figures"} <= names
    recruitment = next(p for p in operation["parameters"] if p["name"] == "recruitment")
    assert recruitment["schema"]["enum"] == ["agency", "in_house"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
    assert "unit_savings" in schema["components"]["schemas"]["CostBenefit"]["properties"]


def test_the_regions_figures_cost_a_fixed_number_of_queries(analyst, solihull, coventry, django_assert_num_queries):
    WorkforceReturnFactory(authority=solihull)
    WorkforceReturnFactory(authority=coventry)
    client = api(analyst)  # force_authenticate: no token query
    # savepoint and its release (ATOMIC_REQUESTS); the returns summed by period end; the newest period's weighted
    # absence; the official releases' latest years and the region's rows; the timesheets' total charge and hours;
    # the pre-cap rates (no query for work under the caps: there are no pre-cap rates to compare with)
    with django_assert_num_queries(8):
        assert client.get(URL, {"figures": "region"}).status_code == 200
