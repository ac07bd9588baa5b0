"""Cost and savings: the evaluation's model (a pure function) and the page that shows it beside the actual spend."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from dashboards.summaries import summaries_refresh
from futuresocial.cost import CostAssumptions, RoleWork, cost_per_fte, spend_at_pre_cap_rates, whole_pounds
from tests.dashboards.conftest import week_of_work, work
from tests.factories import PlacementFactory, role


def test_the_published_inputs_give_the_evaluations_three_figures():
    model = cost_per_fte(CostAssumptions())
    assert (model.agency, model.employed, model.saving) == (Decimal(65368), Decimal(47250), Decimal(18118))


def test_the_published_inputs_are_the_evaluations():
    a = CostAssumptions()
    assert (a.hourly_rate, a.hours_per_week, a.weeks_per_year, a.salary) == (
        Decimal("39.26"),
        Decimal(37),
        Decimal(45),
        Decimal(35000),
    )
    assert (a.pension_and_ni_percent, a.overheads_percent) == (Decimal(20), Decimal(15))


def test_every_assumption_moves_the_model():
    model = cost_per_fte(
        CostAssumptions(
            hourly_rate=Decimal("30.00"),
            hours_per_week=Decimal("36"),
            weeks_per_year=Decimal("46"),
            salary=Decimal("40000"),
            pension_and_ni_percent=Decimal("25"),
            overheads_percent=Decimal("10"),
        )
    )
    # 30 × 36 × 46 = 49,680; 40,000 × 1.35 = 54,000: employing costs more, a negative saving
    assert (model.agency, model.employed, model.saving) == (Decimal(49680), Decimal(54000), Decimal(-4320))


def test_figures_round_half_up_to_whole_pounds_at_the_end():
    assert whole_pounds(Decimal("65367.90")) == 65368
    assert whole_pounds(Decimal("0.50")) == 1
    # £39.27 × 37 × 45 = £65,384.55: the saving is taken before rounding (18,134.55 → 18,135)
    model = cost_per_fte(CostAssumptions(hourly_rate=Decimal("39.27")))
    assert (model.agency, model.saving) == (Decimal(65385), Decimal(18135))


def test_work_under_the_caps_is_repriced_at_the_pre_cap_rate_and_the_rest_is_not():
    work_ = [
        # SW: 100 h, 40 of them before the caps charged £1,600, 60 under them charged £2,100
        RoleWork(1, True, Decimal(100), Decimal(3700), Decimal(60), Decimal(2100)),
        # SM, outside the MoU: what it cost
        RoleWork(2, False, Decimal(10), Decimal(600), Decimal(10), Decimal(600)),
    ]
    assert spend_at_pre_cap_rates(work_, {1: Decimal("45.00")}) == Decimal("4900.00")  # 1,600 + 60 × 45 + 600
    assert spend_at_pre_cap_rates(work_, {}) is None  # no pre-cap rate for SW: no guess


# --- The page -------------------------------------------------------------------------------------------------------


def figures(body):
    return [body.split(f'data-figure="{name}">')[1].split("<")[0] for name in ("agency", "employed", "saving")]


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_the_page_shows_the_published_figures_by_default(client, analyst):
    client.force_login(analyst)
    body = client.get("/dashboards/cost/").content.decode()
    assert figures(body) == ["£65,368", "£47,250", "£18,118"]


@pytest.mark.django_db
def test_the_page_recalculates_with_the_assumptions_typed(client, analyst):
    client.force_login(analyst)
    body = client.get("/dashboards/cost/", {"hourly_rate": "30", "salary": "", "overheads_percent": "10"}).content
    assert figures(body.decode()) == ["£49,950", "£45,500", "£4,450"]  # blank salary: the evaluation's £35,000
    rows = csv_rows(client.get("/dashboards/cost/", {"hourly_rate": "30", "export": "csv", "table": "cost-per-fte"}))
    assert rows[-3:] == [
        ["Agency cost per FTE (£ a year)", "49950"],
        ["Employed cost per FTE (£ a year)", "47250"],
        ["Saving per FTE moved to employment (£ a year)", "2700"],
    ]


@pytest.mark.django_db
def test_an_impossible_assumption_is_refused_and_the_published_one_used(client, analyst):
    client.force_login(analyst)
    body = client.get("/dashboards/cost/", {"hourly_rate": "-3", "weeks_per_year": "abc"}).content.decode()
    assert "Ensure this value is greater than or equal to 0" in body and "Enter a number" in body
    assert figures(body) == ["£65,368", "£47,250", "£18,118"]


@pytest.fixture
def spend(region):
    summaries_refresh()
    return region


@pytest.mark.django_db
def test_the_page_offers_the_datas_average_charge_rate(client, coordinator, spend):
    client.force_login(coordinator)
    body = client.get("/dashboards/cost/").content.decode()
    # £4,562.50 charged for 130 h in January 2019 (see test_pages): £35.10 an hour
    assert "The average hourly charge rate in the timesheets of this selection is £35.10" in body
    assert "hourly_rate=35.10" in body
    assert figures(client.get("/dashboards/cost/", {"hourly_rate": "35.10"}).content.decode())[0] == "£58,442"


@pytest.mark.django_db
def test_spend_is_charge_times_hours_and_a_typed_pre_cap_rate_reprices_it(client, coordinator, spend):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/cost/", {"export": "csv", "table": "agency-spend-by-month"}))
    assert rows[1] == ["2019-01", "130.00", "4562.50", "", ""]  # no pre-cap rate known: no guess
    rows = csv_rows(
        client.get("/dashboards/cost/", {"pre_cap_rate": "40", "export": "csv", "table": "agency-spend-by-month"})
    )
    assert rows[1] == ["2019-01", "130.00", "4562.50", "5200.00", "637.50"]  # 130 h × £40


@pytest.mark.django_db
def test_pre_cap_rates_come_from_work_before_the_first_version(client, coordinator, spend, agency_a, solihull):
    before = PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2014, 11, 3))
    week_of_work(before, date(2014, 11, 3), hours="8.00", charge="50.00")  # 40 h at £50 before the caps
    summaries_refresh()
    client.force_login(coordinator)
    body = client.get("/dashboards/cost/").content.decode()
    assert "before the first MoU version (1 January 2015): SW £50.00" in body
    rows = csv_rows(client.get("/dashboards/cost/", {"export": "csv", "table": "agency-spend-by-month"}))
    assert rows[1] == ["2014-11", "40.00", "2000.00", "2000.00", "0.00"]  # before the caps: what it cost
    assert rows[2] == ["2014-12", "0", "0.00", "0.00", "0.00"]  # every month in between, nothing charged
    assert len(rows) == 1 + 51
    assert rows[-1] == ["2019-01", "130.00", "4562.50", "6500.00", "1937.50"]  # 130 h × £50


@pytest.mark.django_db
def test_a_council_sees_its_spend_and_the_regions_never_another_authoritys(client, council_user, spend):
    client.force_login(council_user)
    rows = csv_rows(client.get("/dashboards/cost/", {"export": "csv", "table": "agency-spend-by-authority"}))
    # Solihull: 37.5 × £32 + 15 × £35 + 37.5 × £33 = £2,962.50 for 90 h; Coventry's £1,600 in no figure shown
    assert [row[:4] for row in rows[1:]] == [
        ["Solihull", "90.00", "32.92", "2962.50"],
        ["The region (all 14)", "— (c)", "— (c)", "— (c)"],  # 2 authorities: withheld (futuresocial.disclosure)
    ]
    rows = csv_rows(
        client.get("/dashboards/cost/", {"authority": "", "export": "csv", "table": "agency-spend-by-authority"})
    )
    assert [row[0] for row in rows[1:]] == ["Solihull", "The region (all 14)"]
    body = client.get("/dashboards/cost/", {"authority": "E08000026"}).content.decode()
    assert "1600" not in body and "1,600" not in body


@pytest.mark.django_db
def test_the_coordinator_sees_every_authority_side_by_side(client, coordinator, spend):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/cost/", {"export": "csv", "table": "agency-spend-by-authority"}))
    assert [row[:4] for row in rows[1:]] == [
        ["Coventry", "40.00", "40.00", "1600.00"],
        ["Solihull", "90.00", "32.92", "2962.50"],
        ["The region (all 14)", "130.00", "35.10", "4562.50"],  # the coordinator: every figure
    ]
    assert client.get("/dashboards/cost/").content.decode().count('<svg class="chart"') == 2


@pytest.mark.django_db
def test_an_uncapped_role_costs_what_it_cost_at_pre_cap_rates(client, coordinator, versions, agency_a, solihull):
    manager = PlacementFactory(agency=agency_a, authority=solihull, role=role("SM"), start_date=date(2019, 1, 7))
    work(manager, date(2019, 1, 7), hours="10.00", charge="80.00")
    summaries_refresh()
    client.force_login(coordinator)
    rows = csv_rows(client.get("/dashboards/cost/", {"export": "csv", "table": "agency-spend-by-month"}))
    assert rows[1] == ["2019-01", "10.00", "800.00", "800.00", "0.00"]
