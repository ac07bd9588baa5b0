"""The dashboards' summaries (dashboards.summaries): equal to a direct aggregate over the current timesheet lines,
after new lines, a resubmission, a moved placement or a changed cap; refreshed by the audit, the command and beat."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

import pytest
from django_celery_beat.models import PeriodicTask

from compliance.tasks import run_audit
from dashboards.models import AgencyLines, MonthlyRates, RateSummary, SummaryWatermark
from dashboards.summaries import summaries_refresh
from mou.models import Cap
from mou.selectors import cap_for
from placements.models import TimesheetLine
from placements.timesheets import Line, timesheets_store
from tests.dashboards.conftest import week_ending, week_of_work, work
from tests.factories import AuditRunFactory, PlacementFactory, role

pytestmark = pytest.mark.django_db

FIELDS = (
    "lines",
    "hours",
    "hours_above_pay_cap",
    "hours_above_charge_cap",
    "pay_amount",
    "charge_amount",
    "pay_squares",
    "charge_squares",
    "min_pay_rate",
    "max_pay_rate",
    "min_charge_rate",
    "max_charge_rate",
)


def direct_aggregate():
    """The summaries recomputed line by line in Python, with the one selector that says which cap binds a day of
    work (mou.selectors.cap_for): the independent answer the SQL must match."""
    groups = defaultdict(lambda: defaultdict(list))
    lines = TimesheetLine.objects.filter(superseded_at__isnull=True).select_related("placement__role")
    for line in lines:
        p = line.placement
        applicable = cap_for(
            role=p.role, engagement_type=p.engagement_type, started_on=p.start_date, worked_on=line.date
        )
        version = applicable.version.pk if applicable else None
        key = (line.date.replace(day=1), p.authority_id, p.agency_id, p.role_id, p.engagement_type, version)
        groups[key]["line"].append(line)
        pay_cap = applicable.max_pay_rate if applicable else None
        charge_cap = applicable.max_charge_rate if applicable else None
        groups[key]["above_pay"].append(line.hours if pay_cap is not None and line.pay_rate > pay_cap else 0)
        groups[key]["above_charge"].append(
            line.hours if charge_cap is not None and line.charge_rate > charge_cap else 0
        )
    expected = {}
    for key, group in groups.items():
        rows = group["line"]
        expected[key] = (
            len(rows),
            sum(r.hours for r in rows),
            sum(group["above_pay"]),
            sum(group["above_charge"]),
            sum(r.pay_rate * r.hours for r in rows),
            sum(r.charge_rate * r.hours for r in rows),
            sum(r.pay_rate * r.pay_rate * r.hours for r in rows),
            sum(r.charge_rate * r.charge_rate * r.hours for r in rows),
            min(r.pay_rate for r in rows),
            max(r.pay_rate for r in rows),
            min(r.charge_rate for r in rows),
            max(r.charge_rate for r in rows),
        )
    return expected


def rolled_up(detail):
    """MonthlyRates as they must be: the detailed groups added up per authority, and per region, without agency."""
    totals = defaultdict(list)
    for (month, authority, _agency, role_id, engagement, version), values in detail.items():
        for where in (authority, None):
            totals[month, where, role_id, engagement, version is None].append(values)
    return {
        key: tuple(
            [sum(v[i] for v in rows) for i in range(8)]
            + [min(v[8] for v in rows), max(v[9] for v in rows), min(v[10] for v in rows), max(v[11] for v in rows)]
        )
        for key, rows in totals.items()
    }


def monthly():
    return {
        (m.month, m.authority_id, m.role_id, m.engagement_type, m.before_caps): tuple(getattr(m, n) for n in FIELDS)
        for m in MonthlyRates.objects.all()
    }


def agency_lines(detail):
    totals = defaultdict(lambda: [0, Decimal(0)])
    for (_month, authority, agency, *_rest), values in detail.items():
        totals[agency, authority][0] += values[0]
        totals[agency, authority][1] += values[1]
    return {key: tuple(value) for key, value in totals.items()}


def assert_summaries_match_the_lines():
    expected = direct_aggregate()
    assert summarised() == expected
    assert monthly() == rolled_up(expected)
    assert {(a.agency_id, a.authority_id): (a.lines, a.hours) for a in AgencyLines.objects.all()} == agency_lines(
        expected
    )


def summarised():
    return {
        (s.month, s.authority_id, s.agency_id, s.role_id, s.engagement_type, s.mou_version_id): tuple(
            getattr(s, name) for name in FIELDS
        )
        for s in RateSummary.objects.all()
    }


def resubmit(placement, monday, *, days, hours="7.50", pay, charge):
    """A week submitted again through the one store of timesheet lines: its earlier lines are superseded."""
    lines = [
        Line(monday + timedelta(days=n), Decimal(hours), Decimal(pay), Decimal(charge))
        for n in range(days)
        if (monday + timedelta(days=n)) <= week_ending(monday)
    ]
    timesheets_store(weeks={(placement.pk, week_ending(monday)): lines})


def test_a_full_refresh_equals_a_direct_aggregate_over_current_lines(region, versions):
    result = summaries_refresh()
    assert result.full  # the first refresh builds everything
    assert_summaries_match_the_lines()
    sol_a = RateSummary.objects.get(agency=region["solihull_a"].agency, authority=region["solihull_a"].authority)
    assert (sol_a.mou_version, sol_a.lines, sol_a.hours) == (versions["2018"], 7, Decimal("52.50"))
    assert (sol_a.hours_above_pay_cap, sol_a.hours_above_charge_cap) == (Decimal("15.00"), Decimal("15.00"))
    assert sol_a.pay_amount == Decimal("37.50") * 24 + Decimal("15.00") * 26
    limited = RateSummary.objects.get(engagement_type="limited")
    assert limited.hours_above_pay_cap == 0  # £26.50 is within the limited companies' £27 cap
    assert limited.hours_above_charge_cap == 0  # £33 is within their own £40 charge cap


def test_a_resubmitted_week_counts_only_its_new_lines(region):
    summaries_refresh()
    placement = region["solihull_a"]
    resubmit(placement, date(2019, 1, 14), days=3, pay="24.00", charge="32.00")
    assert TimesheetLine.objects.filter(placement=placement, superseded_at__isnull=False).count() == 2

    result = summaries_refresh()
    assert not result.full
    assert result.groups == 1  # January 2019 at Solihull, agency A, SW, PAYE: nothing else was touched
    assert_summaries_match_the_lines()
    row = RateSummary.objects.get(agency=placement.agency, authority=placement.authority)
    assert (row.lines, row.hours, row.hours_above_pay_cap, row.max_pay_rate) == (
        8,
        Decimal("60.00"),
        0,
        Decimal("24.00"),
    )


def test_a_resubmission_that_drops_a_day_of_the_other_month_takes_it_out(region):
    placement = region["solihull_a"]
    week_of_work(placement, date(2019, 2, 25), days=7)  # Monday 25 February to Sunday 3 March
    summaries_refresh()
    march = RateSummary.objects.get(month=date(2019, 3, 1))
    assert (march.lines, march.hours) == (3, Decimal("22.50"))

    resubmit(placement, date(2019, 2, 25), days=4, pay="24.00", charge="32.00")  # Monday to Thursday only
    summaries_refresh()
    assert not RateSummary.objects.filter(month=date(2019, 3, 1)).exists()
    assert_summaries_match_the_lines()


def test_a_second_refresh_with_nothing_new_recomputes_nothing(region):
    summaries_refresh()
    before = summarised()
    result = summaries_refresh()
    assert (result.full, result.groups, result.rows) == (False, 0, 0)
    assert summarised() == before


def test_new_lines_leave_the_other_groups_untouched(region):
    summaries_refresh()
    coventry_row = RateSummary.objects.get(authority=region["coventry_b"].authority)
    work(region["solihull_b"], date(2019, 2, 4), pay="28.00")

    result = summaries_refresh()
    assert result.groups == 1
    assert RateSummary.objects.get(authority=region["coventry_b"].authority).pk == coventry_row.pk
    assert_summaries_match_the_lines()


def test_a_placement_moved_to_another_authority_leaves_its_old_group(region, coventry, solihull):
    summaries_refresh()
    placement = region["solihull_a"]
    placement.authority = coventry
    placement.save()

    summaries_refresh()
    assert not RateSummary.objects.filter(authority=solihull, agency=placement.agency).exists()
    assert RateSummary.objects.get(authority=coventry, agency=placement.agency).lines == 7
    assert_summaries_match_the_lines()


def test_a_changed_cap_rebuilds_every_summary(region, versions):
    summaries_refresh()
    Cap.objects.filter(version=versions["2018"], engagement_type=None).update(max_pay_rate=Decimal("23.00"))

    result = summaries_refresh()
    assert result.full
    row = RateSummary.objects.get(agency=region["solihull_a"].agency, authority=region["solihull_a"].authority)
    assert row.hours_above_pay_cap == Decimal("52.50")  # now every line of it is above £23
    assert_summaries_match_the_lines()


def test_work_before_the_first_version_has_no_version(versions, agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull, start_date=date(2014, 11, 3))
    work(placement, date(2014, 11, 3), pay="40.00")
    summaries_refresh()
    row = RateSummary.objects.get()
    assert (row.mou_version, row.hours_above_pay_cap) == (None, 0)  # no cap before the caps


def test_a_role_outside_the_mou_is_never_above_a_cap(versions, agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull, role=role("SM"), start_date=date(2019, 1, 7))
    work(placement, date(2019, 1, 7), pay="60.00", charge="80.00")
    summaries_refresh()
    row = RateSummary.objects.get()
    assert (row.mou_version, row.hours_above_pay_cap, row.hours_above_charge_cap) == (versions["2018"], 0, 0)


def test_the_audit_task_refreshes_the_summaries(region):
    run = AuditRunFactory(trigger="test")
    run_audit(run.pk)
    state = SummaryWatermark.objects.get()
    assert state.line_id == TimesheetLine.objects.order_by("-id").first().pk
    assert_summaries_match_the_lines()


def test_the_command_refreshes_and_says_what_it_did(region):
    out = StringIO()
    call_command("refresh_dashboards", stdout=out)
    assert out.getvalue().startswith("Full rebuild: 3 groups recomputed, 3 summary rows written")
    out = StringIO()
    call_command("refresh_dashboards", stdout=out)
    assert out.getvalue().startswith("Refresh: 0 groups recomputed")
    call_command("refresh_dashboards", "--full", stdout=out)
    assert_summaries_match_the_lines()


def test_beat_refreshes_hourly_and_rebuilds_nightly():
    tasks = {t.name: t for t in PeriodicTask.objects.filter(task="dashboards.tasks.refresh_summaries")}
    hourly, nightly = tasks["Refresh dashboard summaries"], tasks["Rebuild dashboard summaries"]
    assert (hourly.crontab.minute, hourly.crontab.hour, hourly.kwargs, hourly.enabled) == ("20", "*", "{}", True)
    assert (nightly.crontab.minute, nightly.crontab.hour, nightly.kwargs) == ("20", "3", '{"full": true}')


def test_a_large_batch_of_new_work_is_rebuilt_whole(region, monkeypatch):
    summaries_refresh()
    monkeypatch.setattr("dashboards.summaries.INCREMENTAL_LIMIT", 1)
    work(region["solihull_b"], date(2019, 2, 4))
    work(region["coventry_b"], date(2019, 2, 4))
    result = summaries_refresh()
    assert (result.full, result.rows) == (True, 5)  # two groups touched: past the limit, all 5 rows rewritten
    assert_summaries_match_the_lines()


def test_the_regions_monthly_rates_add_up_every_authority(region):
    summaries_refresh()
    region_row = MonthlyRates.objects.get(authority=None, engagement_type="paye")
    # Solihull A's 52.5 h and Coventry B's 40 h (Solihull B is a limited company: a row of its own)
    assert (region_row.lines, region_row.hours, region_row.before_caps) == (12, Decimal("92.50"), False)
    work(region["coventry_b"], date(2019, 1, 21), hours="2.50")
    summaries_refresh()
    assert MonthlyRates.objects.get(authority=None, engagement_type="paye").hours == Decimal("95.00")
