"""The DfE quarterly return (SPEC §5): every field it lists, and what belongs to a quarter."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from agencies.models import Suspension
from compliance.models import Breach
from dfe.returns import BadQuarter, Quarter, dfe_return
from tests.factories import SuspensionFactory

pytestmark = pytest.mark.django_db

Q1 = Quarter(2025, 1)


def test_a_quarter_is_three_calendar_months():
    assert (Q1.first_day, Q1.last_day) == (date(2025, 1, 1), date(2025, 3, 31))
    assert Quarter(2024, 4).last_day == date(2024, 12, 31)
    assert Quarter.parse("2025-q1") == Q1
    assert [f"{m:%Y-%m}" for m in Quarter(2025, 2).months] == ["2025-04", "2025-05", "2025-06"]


@pytest.mark.parametrize("text", ["2025-Q5", "2025-Q0", "2025Q1", "Q1-2025", "", "2025-01"])
def test_a_badly_written_quarter_is_refused_with_the_format(text):
    with pytest.raises(BadQuarter, match="YYYY-QN, e.g. 2025-Q1"):
        Quarter.parse(text)


def test_the_last_complete_quarter_is_the_one_before_today():
    assert Quarter.last_complete(date(2025, 4, 1)) == Q1
    assert Quarter.last_complete(date(2025, 3, 31)) == Quarter(2024, 4)
    assert Quarter.last_complete(date(2025, 1, 15)) == Quarter(2024, 4)


def test_a_quarter_not_yet_begun_is_refused_and_the_current_one_allowed():
    assert Quarter.returnable("2025-Q2", today=date(2025, 5, 1)) == Quarter(2025, 2)
    with pytest.raises(BadQuarter, match="has not begun"):
        Quarter.returnable("2025-Q3", today=date(2025, 5, 1))


@pytest.mark.parametrize("text", ["0000-Q1", "2014-Q4"])
def test_a_quarter_before_the_agency_protocol_is_refused(text):
    with pytest.raises(BadQuarter, match=f"{text} is before the Agency Protocol began: choose a quarter from 2015-Q1"):
        Quarter.returnable(text, today=date(2025, 5, 1))
    assert Quarter.returnable("2015-Q1", today=date(2025, 5, 1)) == Quarter(2015, 1)


def test_the_return_holds_every_field_spec_5_lists(quarter_data, solihull):
    ret = dfe_return(authority=solihull, quarter=Q1)
    first = next(row for row in ret.placements if row["worker_swe_number"] == "SW5001")
    # Per placement: role type, hourly pay, start and end dates, registration number, project-team flag (+ agency).
    assert first == {
        "placement": quarter_data["placements"]["ends_in_q"].pk,
        "worker_swe_number": "SW5001",
        "role": "SW",
        "role_name": "Social worker",
        "engagement_type": "paye",
        "agency": "Alpha Locums Ltd",
        "agency_company_number": quarter_data["placements"]["ends_in_q"].agency.company_number,
        "hourly_pay": Decimal("26.00"),
        "hourly_charge": Decimal("35.00"),
        "start_date": date(2024, 11, 1),
        "end_date": date(2025, 2, 15),
        "project_team": True,
    }
    # Per council: breaches with their sign-offs, agencies affecting compliance, monthly total cost.
    assert ret.breaches and ret.sign_offs and ret.agencies and ret.monthly_costs
    assert set(ret.sign_offs[0]) >= {"signed_by_dcs", "signed_by_chief_executive", "reason", "valid_until"}
    assert set(ret.monthly_costs[0]) >= {"month", "total_cost"}


def test_placements_are_those_at_the_authority_active_in_the_quarter(quarter_data, solihull):
    ret = dfe_return(authority=solihull, quarter=Q1)
    # Not the one that ended on 31 December, nor the one starting 1 April, nor Coventry's.
    assert [row["worker_swe_number"] for row in ret.placements] == ["SW5003", "SW5007", "SW5001", "SW5002"]


def test_breaches_are_those_detected_in_the_quarter_or_with_offending_work_in_it(quarter_data, solihull):
    ret = dfe_return(authority=solihull, quarter=Q1)
    cases = quarter_data["breaches"]
    assert [row["breach"] for row in ret.breaches] == [cases["offending_work_in_q"].pk, cases["detected_in_q"].pk]
    work_in_q = ret.breaches[0]
    assert work_in_q["detected_on"] == date(2024, 12, 20)
    assert (work_in_q["excess_in_quarter"], work_in_q["excess_total"]) == (Decimal("3.75"), Decimal("10.75"))
    assert work_in_q["worker_swe_number"] == "SW5001"
    manual = ret.breaches[1]
    assert (manual["rule"], manual["excess_in_quarter"], manual["description"]) == (
        "manual",
        Decimal("0.00"),
        "Approached a worker in post",
    )


def test_sign_offs_are_the_cap_exceptions_valid_in_the_quarter_with_both_signatures(quarter_data, solihull):
    ret = dfe_return(authority=solihull, quarter=Q1)
    exceptions = quarter_data["exceptions"]
    assert [row["cap_exception"] for row in ret.sign_offs] == [
        exceptions["overlapping"].pk,
        exceptions["from_last_day"].pk,
    ]
    assert (ret.sign_offs[0]["signed_by_dcs"], ret.sign_offs[0]["signed_by_chief_executive"]) == (
        "Dr A. Director",
        "B. Chief",
    )


def test_agencies_with_breaches_there_or_suspended_while_supplying_it(quarter_data, solihull):
    ret = dfe_return(authority=solihull, quarter=Q1)
    agencies = {row["agency"]: row for row in ret.agencies}
    # Not Delta (suspended, but supplies Coventry only) nor Epsilon (its suspension ended before the quarter).
    assert list(agencies) == ["Alpha Locums Ltd", "Beta Social Care Staffing Ltd", "Gamma Interim Ltd"]
    assert (agencies["Alpha Locums Ltd"]["breaches"], agencies["Alpha Locums Ltd"]["excess_in_quarter"]) == (
        1,
        Decimal("3.75"),
    )
    assert agencies["Alpha Locums Ltd"]["why"] == "breaches at the authority"
    assert agencies["Gamma Interim Ltd"]["why"] == "suspended"
    assert agencies["Gamma Interim Ltd"]["suspensions"].startswith("Ongoing from 01/02/2025 (ongoing)")


def test_a_dismissed_case_is_not_a_breach_and_does_not_list_its_agency(quarter_data, solihull):
    cases = quarter_data["breaches"]
    # Beta's only case at Solihull in the quarter, dismissed: it was not a breach after all.
    Breach.objects.filter(pk=cases["detected_in_q"].pk).update(
        status=Breach.Status.DISMISSED, dismissed_reason="Reported in error"
    )
    ret = dfe_return(authority=solihull, quarter=Q1)
    assert [row["breach"] for row in ret.breaches] == [cases["offending_work_in_q"].pk]
    assert [row["agency"] for row in ret.agencies] == ["Alpha Locums Ltd", "Gamma Interim Ltd"]


def test_a_suspension_lifted_on_the_day_it_began_never_affected_the_quarter(quarter_data, solihull, coordinator):
    epsilon = quarter_data["placements"]["epsilons"].agency

    def suspend(starts_on, lifted_on):
        return SuspensionFactory(
            agency=epsilon,
            kind="ongoing",
            starts_on=starts_on,
            lifted_on=lifted_on,
            reason="Imposed in error",
            imposed_by=coordinator,
        )

    suspend(date(2025, 2, 10), date(2025, 2, 10))
    suspend(date(2024, 12, 31), date(2025, 1, 1))  # lifted on the quarter's first day: in effect on 31/12 only
    assert "Epsilon Locums Ltd" not in [row["agency"] for row in dfe_return(authority=solihull, quarter=Q1).agencies]
    suspend(date(2025, 3, 31), date(2025, 4, 1))  # in effect on the quarter's last day
    agencies = {row["agency"]: row for row in dfe_return(authority=solihull, quarter=Q1).agencies}
    assert agencies["Epsilon Locums Ltd"]["suspensions"] == "Ongoing from 31/03/2025 until 01/04/2025: Imposed in error"


def test_suspensions_overlapping_a_range_are_those_active_on_one_of_its_days(agency_a, coordinator):
    def suspend(starts_on, *, ends_on=None, lifted_on=None):
        return SuspensionFactory(
            agency=agency_a,
            kind="temporary" if ends_on else "ongoing",
            starts_on=starts_on,
            ends_on=ends_on,
            lifted_on=lifted_on,
            reason="Offered rates above the cap",
            imposed_by=coordinator,
        )

    first, last = date(2025, 1, 1), date(2025, 3, 31)
    cases = {
        "ends on the first day": suspend(date(2024, 12, 1), ends_on=first),
        "ends the day after the first": suspend(date(2024, 12, 1), ends_on=date(2025, 1, 2)),
        "lifted on its start day": suspend(date(2025, 2, 10), lifted_on=date(2025, 2, 10)),
        "lifted the day after it began": suspend(date(2025, 2, 10), lifted_on=date(2025, 2, 11)),
        "starts on the last day": suspend(last),
        "starts the day after": suspend(date(2025, 4, 1)),
        "ongoing from before": suspend(date(2024, 6, 1)),
    }
    found = set(Suspension.objects.overlapping(first, last).values_list("pk", flat=True))
    assert {name for name, s in cases.items() if s.pk in found} == {
        "ends the day after the first",
        "lifted the day after it began",
        "starts on the last day",
        "ongoing from before",
    }
    # The same rule as is_active_on, day by day.
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert found == {s.pk for s in cases.values() if any(s.is_active_on(day) for day in days)}


def test_the_monthly_cost_is_charge_times_hours_of_current_lines(quarter_data, solihull):
    ret = dfe_return(authority=solihull, quarter=Q1)
    assert ret.monthly_costs == [
        {
            "month": "2025-01",
            "placements": 1,
            "hours": Decimal("7.50"),
            "pay_total": Decimal("195.00"),
            "total_cost": Decimal("262.50"),
        },
        # The superseded line of 4 February doesn't count.
        {
            "month": "2025-02",
            "placements": 1,
            "hours": Decimal("7.00"),
            "pay_total": Decimal("182.00"),
            "total_cost": Decimal("245.00"),
        },
        {
            "month": "2025-03",
            "placements": 1,
            "hours": Decimal("8.00"),
            "pay_total": Decimal("224.00"),
            "total_cost": Decimal("320.00"),
        },
    ]
    assert ret.total_cost == Decimal("827.50")


def test_a_quarter_with_no_work_has_three_months_of_zeros(solihull):
    ret = dfe_return(authority=solihull, quarter=Quarter(2016, 3))
    assert [(m["month"], m["total_cost"]) for m in ret.monthly_costs] == [
        ("2016-07", Decimal("0.00")),
        ("2016-08", Decimal("0.00")),
        ("2016-09", Decimal("0.00")),
    ]
    assert ret.placements == ret.breaches == ret.sign_offs == ret.agencies == []


def test_the_return_takes_six_queries_however_much_data(quarter_data, solihull, django_assert_num_queries):
    # 1. placements, 2. breach cases with their excess in the quarter, 3. cap exceptions, 4. suspensions of agencies
    # supplying the authority, 5. those agencies' details, 6. hours and cost by month.
    with django_assert_num_queries(6):
        dfe_return(authority=solihull, quarter=Q1)


def test_the_return_says_rule_by_rule_whether_the_authority_complied_and_why(quarter_data, solihull):
    from compliance.models import Breach

    # A cooling-off case of the quarter dismissed by the coordinator: a reason, not a breach.
    dismissed = quarter_data["breaches"]["detected_in_q"]
    Breach.objects.filter(pk=dismissed.pk).update(
        rule=Breach.Rule.COOLING_OFF, status=Breach.Status.DISMISSED, dismissed_reason="Left for redundancy"
    )
    ret = dfe_return(authority=solihull, quarter=Q1)
    by_rule = {entry["rule"]: entry for entry in ret.compliance}
    assert list(by_rule) == [
        "pay_rate_above_cap",
        "charge_rate_above_cap",
        "suspended_agency",
        "cooling_off",
        "experience_below_minimum",
        "references_missing",
        "project_team_unapproved",
    ]
    pay = by_rule["pay_rate_above_cap"]
    case = quarter_data["breaches"]["offending_work_in_q"]
    assert (pay["complied"], pay["placements"]) == (False, 1)
    assert pay["reasons"][0] == f"Case {case.pk} (Alpha Locums Ltd, SW5001): £3.75 above the cap in the quarter"
    assert any(reason.startswith("Cap exception") and "Dr A. Director" in reason for reason in pay["reasons"])
    cooling = by_rule["cooling_off"]
    assert (cooling["complied"], cooling["placements"]) == (True, 0)
    assert cooling["reasons"] == [f"Case {dismissed.pk} dismissed: Left for redundancy"]
    assert by_rule["experience_below_minimum"] == {
        "rule": "experience_below_minimum",
        "rule_label": "Worker below the minimum post-qualifying experience",
        "complied": True,
        "placements": 0,
        "reasons": [],
    }
    # The dismissed case stays out of the breaches section.
    assert dismissed.pk not in {row["breach"] for row in ret.breaches}
    # The same in the CSV section.
    title, headings, rows = ret.section("compliance")
    assert headings == ["Rule", "What it is", "Complied", "Placements in breach", "Reasons"]
    assert rows[0][:4] == ["pay_rate_above_cap", "Pay rate above the cap", "no", 1]


def test_a_case_judged_at_the_start_belongs_to_the_quarter_the_placement_started_in(solihull):
    """A placement that started in Q1 with one reference of two breaks the rule in Q1, though the audit found it a
    year later: Q1's return says so (and the quarter it was found in, too)."""
    from tests.factories import BreachFactory, PlacementFactory

    placement = PlacementFactory(authority=solihull, start_date=date(2025, 2, 17))
    case = BreachFactory(placement=placement, rule=Breach.Rule.REFERENCES_MISSING, cap_amount=None)
    Breach.objects.filter(pk=case.pk).update(detected_at=date(2026, 11, 2))
    by_rule = {entry["rule"]: entry for entry in dfe_return(authority=solihull, quarter=Q1).compliance}
    assert (by_rule["references_missing"]["complied"], by_rule["references_missing"]["placements"]) == (False, 1)
    found_in = {entry["rule"]: entry for entry in dfe_return(authority=solihull, quarter=Quarter(2026, 4)).compliance}
    assert found_in["references_missing"]["complied"] is False
    # Not in a quarter between.
    between = {entry["rule"]: entry for entry in dfe_return(authority=solihull, quarter=Quarter(2025, 3)).compliance}
    assert between["references_missing"]["complied"] is True
