"""The cost-benefit page (/dashboards/cost-benefit/): the evaluation's model with its inputs editable by the
coordinator and analysts, read by councils, closed to agencies; fillable from the region's own figures, each input
saying where it came from; every table downloadable."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from dashboards.forms import CostBenefitForm
from dashboards.summaries import summaries_refresh
from tests.dashboards.conftest import week_of_work
from tests.factories import OfficialFigureFactory, PlacementFactory, WorkforceReturnFactory
from workforce.models import OfficialFigure

PAGE = "/dashboards/cost-benefit/"
AGENCY_64 = "0,0,0,-64,-64,-64"

pytestmark = pytest.mark.django_db


def figure(body, name):
    return body.split(f'data-figure="{name}">')[1].split("<")[0]


def results(body):
    return [figure(body, name) for name in ("present_value_costs", "net_present_value", "benefit_cost_ratio")]


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def inputs(client, **query):
    """{input label: (value, source)} from the inputs table's CSV."""
    rows = csv_rows(client.get(PAGE, {**query, "export": "csv", "table": "cost-benefit-inputs"}))
    return {label: (value, source) for label, value, source in rows[1:]}


def test_the_page_shows_the_evaluations_present_value_of_costs_by_default(client, analyst):
    client.force_login(analyst)
    body = client.get(PAGE).content.decode()
    assert results(body) == ["£2,941,328", "£-2,941,328", "0.00"]
    assert 'name="agency_fte_change" value="0,0,0,0,0,0"' in body
    assert "Source: the evaluation (2020)." in body


def test_64_fewer_agency_workers_cover_the_costs(client, coordinator):
    client.force_login(coordinator)
    body = client.get(PAGE, {"agency_fte_change": AGENCY_64}).content.decode()
    assert results(body) == ["£2,941,328", "£91,299", "1.03"]
    assert figure(body, "present_value_benefits") == "£3,032,627"
    assert inputs(client, agency_fte_change=AGENCY_64)["Change in agency workers with the programme (FTE)"] == (
        "0, 0, 0, -64, -64, -64",
        "typed here",
    )
    query = {"agency_fte_change": AGENCY_64, "export": "csv", "table": "cost-benefit-analysis"}
    rows = csv_rows(client.get(PAGE, query))
    assert rows[0] == ["", "2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23", "Total"]
    assert rows[2] == ["Costs of FutureSocial", "436000", "781000", "945000", "963000", "0", "0", "3125000"]
    assert rows[3] == ["Present value of costs", "436000", "754589", "882168", "868571", "0", "0", "2941328"]
    assert rows[4] == ["Savings from reduced reliance on agency workers", "0", "0", "0", *["1159546"] * 3, "3478638"]


def test_the_solver_says_what_would_cover_the_costs(client, analyst):
    client.force_login(analyst)
    rows = csv_rows(client.get(PAGE, {"lac_unit_cost": "gmca", "export": "csv", "table": "cost-benefit-break-even"}))
    assert [row[1] for row in rows[1:]] == ["63", "5.7 (turnover to 10.2 %)", "0.9 (absence to 2.9 %)", "20", "7"]


def test_a_value_sent_back_unchanged_keeps_its_source(client, analyst):
    client.force_login(analyst)
    used = inputs(client, salary="35000", discount_rate="3.5")
    assert used["Salary per FTE (£)"] == ("35000", "the evaluation (2020)")


def test_an_impossible_input_is_refused_with_its_error_and_the_evaluations_used(client, analyst):
    client.force_login(analyst)
    body = client.get(PAGE, {"turnover_rate_with": "10,10", "mou_attribution": "120"}).content.decode()
    assert 'class="error-summary"' in body
    assert '<a href="#id_turnover_rate_with">Turnover with the programme (%): Give 6 values' in body
    assert "Ensure this value is less than or equal to 100" in body
    assert 'value="10,10" aria-describedby="id_turnover_rate_with-hint id_turnover_rate_with-error"' in body
    assert results(body)[2] == "0.00"


def test_a_council_reads_the_model_but_cannot_change_its_inputs(client, council_user):
    client.force_login(council_user)
    body = client.get(PAGE, {"agency_fte_change": AGENCY_64}).content.decode()
    assert results(body) == ["£2,941,328", "£-2,941,328", "0.00"]
    assert 'name="agency_fte_change"' not in body and "Recalculate" not in body


def test_an_agency_may_not_see_the_model(client, agency_user):
    client.force_login(agency_user)
    assert client.get(PAGE).status_code == 403


def test_the_dashboards_list_links_to_it(client, analyst):
    client.force_login(analyst)
    assert f'href="{PAGE}"' in client.get("/dashboards/").content.decode()


@pytest.fixture
def region_figures(region, versions, agency_a, solihull, coventry):
    """Two councils' returns for 30 September 2024; the timesheets of the dashboards' region (130 h in January
    2019, £4,562.50) and 40 h at £50 before the first MoU version."""
    WorkforceReturnFactory(authority=solihull)  # 180 employed, 45 agency, 27 leavers, absence 3.10 %
    WorkforceReturnFactory(
        authority=coventry,
        permanent_fte="220.00",
        agency_fte="55.00",
        leavers_fte="33.00",
        absence_rate="4.10",
    )
    before = PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2014, 11, 3))
    week_of_work(before, date(2014, 11, 3), hours="8.00", charge="50.00")
    summaries_refresh()


def test_the_regions_figures_fill_the_inputs_and_say_where_they_came_from(client, coordinator, region_figures):
    client.force_login(coordinator)
    used = inputs(client, figures="region")
    returns = "the councils' returns for 30 September 2024 (2 authorities)"
    assert used["Employed social workers in 2017/18 (FTE)"] == ("400", returns)
    assert used["Agency workers in 2017/18 (FTE)"] == ("100", returns)
    assert used["Turnover without the programme (%)"] == ("15, 15, 15, 15, 15, 15", returns)  # 60 ÷ 400
    assert used["Turnover with the programme (%)"] == ("15, 15, 15, 15, 15, 15", returns)
    assert used["Absence without the programme (%)"][0] == "3.65, 3.65, 3.65, 3.65, 3.65, 3.65"  # FTE-weighted
    # £4,562.50 + £2,000 over 170 h
    assert used["Average agency hourly rate (£)"][0] == "38.6"
    assert used["Average agency hourly rate (£)"][1].startswith("the timesheets: the average hourly charge rate")
    # 130 h under the caps charged £4,562.50 against 130 h × £50 before them: 29.8 % saved
    assert used["The MoU's saving on agency spend (%)"][0] == "29.8"
    assert used["Looked after children in 2017/18"] == ("9500", "the evaluation (2020)")
    body = client.get(PAGE, {"figures": "region"}).content.decode()
    assert "Source: the councils&#x27; returns for 30 September 2024 (2 authorities)." in body
    assert figure(body, "present_value_costs") == "£2,941,328"


def test_a_council_never_gets_a_sum_of_two_authorities_returns(client, council_user, region_figures):
    client.force_login(council_user)
    used = inputs(client, figures="region")
    assert used["Employed social workers in 2017/18 (FTE)"] == ("3199", "the evaluation (2020)")
    # The region's timesheets are of 2 authorities: withheld (futuresocial.disclosure), the evaluation's rate used
    assert used["Average agency hourly rate (£)"] == ("39.26", CostBenefitForm.SOURCE_WITHHELD)


def test_every_table_downloads_as_csv_and_xlsx(client, analyst):
    client.force_login(analyst)
    slugs = [
        "cost-benefit-inputs",
        "cost-benefit-costs",
        "cost-benefit-workforce",
        "cost-benefit-looked-after-children",
        "cost-benefit-analysis",
        "cost-benefit-summary",
        "cost-benefit-unit-savings",
        "cost-benefit-break-even",
    ]
    body = client.get(PAGE).content.decode()
    for slug in slugs:
        assert f"export=csv&amp;table={slug}" in body
        assert client.get(PAGE, {"export": "csv", "table": slug}).status_code == 200
    response = client.get(PAGE, {"export": "xlsx", "table": "cost-benefit-unit-savings"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        ["One agency worker replaced by an employed one", 18118],
        ["1 point less turnover, recruiting through an agency", 199938],
        ["1 point less turnover, recruiting in house", 78937],
        ["1 % of the MoU's low (7 %) saving attributed", 29331],
        ["1 % of the MoU's high (29 %) saving attributed", 121512],
        ["0.1 percentage point less absence", 134400],
        ["One looked after child fewer", 40000],
    ]


def test_without_returns_the_official_statistics_fill_the_workforce(client, analyst):
    OfficialFigureFactory(
        authority=None,
        level=OfficialFigure.Level.REGIONAL,
        area_code="E12000005",
        area_name="West Midlands",
        employed_fte="3500.00",
        agency_fte="600.00",
        leavers_fte="490.00",
        absence_rate="3.30",
    )
    client.force_login(analyst)
    used = inputs(client, figures="region")
    official = "the official statistics for 30 September 2024 (csww_indicators_2017_to_2025)"
    assert used["Employed social workers in 2017/18 (FTE)"] == ("3500", official)
    assert used["Turnover without the programme (%)"] == ("14, 14, 14, 14, 14, 14", official)  # 490 ÷ 3,500
    assert used["Absence with the programme (%)"] == ("3.3, 3.3, 3.3, 3.3, 3.3, 3.3", official)
    assert used["Average agency hourly rate (£)"] == ("39.26", "the evaluation (2020)")  # no timesheets
