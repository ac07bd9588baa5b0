"""The audit (compliance.audit): what it finds, that it finds it once, and that a broken run is finished by the next."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

import pytest

from compliance import audit
from compliance.audit import AuditBusy, audit_perform
from compliance.models import AuditRun, Breach
from placements.models import Timesheet, TimesheetLine
from tests.factories import (
    AuditRunFactory,
    CapExceptionFactory,
    PermanentLeaverFactory,
    PlacementFactory,
    SuspensionFactory,
    TimesheetFactory,
    TimesheetLineFactory,
    UserFactory,
    WorkerFactory,
    role,
)

pytestmark = pytest.mark.django_db


def work(placement, day, *, hours="7.50", pay=None, charge=None):
    """One line on `day` in the week ending the following Sunday."""
    week_ending = day + timedelta(days=6 - day.weekday())
    timesheet, _ = Timesheet.objects.get_or_create(placement=placement, week_ending=week_ending)
    return TimesheetLineFactory(
        timesheet=timesheet,
        date=day,
        hours=Decimal(hours),
        pay_rate=Decimal(pay or placement.pay_rate),
        charge_rate=Decimal(charge or placement.charge_rate),
    )


def run_audit():
    run = AuditRunFactory(trigger="test")
    return audit_perform(run_id=run.pk)


def test_a_line_above_the_pay_cap_opens_a_case_with_its_evidence(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="25.00", charge_rate="32.00")
    line = work(placement, date(2019, 1, 7), pay="27.50")
    run = run_audit()
    breach = Breach.objects.get()
    assert (breach.rule, breach.mou_version.name, breach.placement, breach.agency) == (
        "pay_rate_above_cap",
        "2018",
        placement,
        placement.agency,
    )
    assert (breach.cap_amount, breach.excess_amount, breach.excess_hours, breach.lines_count) == (
        Decimal("25.00"),
        Decimal("18.75"),  # £2.50/h over for 7.5 hours
        Decimal("7.50"),
        1,
    )
    evidence = breach.lines.get()
    assert (evidence.line, evidence.cap, evidence.rate, evidence.excess_per_hour, evidence.excess) == (
        line,
        Decimal("25.00"),
        Decimal("27.50"),
        Decimal("2.50"),
        Decimal("18.75"),
    )
    assert (run.status, run.lines_checked, run.breaches_found, run.progress) == ("finished", 1, 1, 100)


def test_a_rate_exactly_at_the_cap_is_no_breach(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="25.00", charge_rate="33.00")
    work(placement, date(2019, 1, 7))
    assert run_audit().lines_checked == 1
    assert not Breach.objects.exists()


def test_a_charge_rate_above_the_charge_cap_is_its_own_case(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="35.00")
    work(placement, date(2019, 1, 7))
    work(placement, date(2019, 1, 8), hours="4.00")
    run_audit()
    cases = {b.rule: (b.excess_amount, b.lines_count) for b in Breach.objects.all()}
    assert cases == {
        "pay_rate_above_cap": (Decimal("11.50"), 2),  # £1.00/h × 11.5 h
        "charge_rate_above_cap": (Decimal("23.00"), 2),  # £2.00/h × 11.5 h
    }


def test_the_engagement_specific_cap_applies_to_limited_company_workers(versions):
    limited = PlacementFactory(start_date=date(2019, 1, 7), engagement_type="limited", pay_rate="26.50")
    paye = PlacementFactory(start_date=date(2019, 1, 7), engagement_type="paye", pay_rate="26.50", charge_rate="30")
    work(limited, date(2019, 1, 7), charge="30.00")
    work(paye, date(2019, 1, 7))
    run_audit()
    assert list(Breach.objects.values_list("placement", "rule")) == [(paye.pk, "pay_rate_above_cap")]


def test_a_placement_keeps_its_old_cap_until_the_new_version_binds_existing_placements(versions):
    placement = PlacementFactory(start_date=date(2018, 3, 1), pay_rate="24.00", charge_rate="30.00")
    work(placement, date(2018, 9, 28))  # 2015 binds: £24.00 is over £22.50
    work(placement, date(2018, 10, 1))  # 2018 binds from 1 October: £24.00 is within £25.00
    run_audit()
    breach = Breach.objects.get()
    assert (breach.mou_version.name, breach.lines_count, breach.excess_amount) == ("2015", 1, Decimal("11.25"))


def test_work_covered_by_a_live_cap_exception_is_not_a_breach_but_the_day_after_it_is(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="27.00", charge_rate="30.00")
    CapExceptionFactory(placement=placement, valid_from=date(2019, 1, 7), valid_until=date(2019, 1, 8))
    work(placement, date(2019, 1, 7))
    work(placement, date(2019, 1, 8))
    work(placement, date(2019, 1, 9))
    run_audit()
    breach = Breach.objects.get()
    assert list(breach.lines.values_list("line__date", flat=True)) == [date(2019, 1, 9)]


def test_roles_outside_the_mou_are_never_judged_against_a_cap(versions):
    manager = PlacementFactory(role=role("SM"), start_date=date(2019, 1, 7), pay_rate="60.00", charge_rate="80.00")
    work(manager, date(2019, 1, 7))
    assert run_audit().lines_checked == 1
    assert not Breach.objects.exists()


def test_superseded_lines_are_not_judged(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="24.00", charge_rate="30.00")
    line = work(placement, date(2019, 1, 7), pay="30.00")
    TimesheetLine.objects.filter(pk=line.pk).update(superseded_at=timezone.now())
    work(placement, date(2019, 1, 8))
    assert run_audit().lines_checked == 1
    assert not Breach.objects.exists()


def test_second_audit_finds_nothing_new(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    for day in range(7, 12):
        work(placement, date(2019, 1, day))
    first = run_audit()
    second = run_audit()
    assert (first.lines_checked, first.breaches_found) == (5, 1)
    assert (second.lines_checked, second.breaches_found) == (0, 0)
    breach = Breach.objects.get()
    assert (breach.lines_count, breach.excess_amount) == (5, Decimal("37.50"))


def test_a_later_run_adds_new_offending_lines_to_the_open_case(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    work(placement, date(2019, 1, 7))
    run_audit()
    work(placement, date(2019, 1, 8), hours="2.00")
    run = run_audit()
    breach = Breach.objects.get()
    assert (run.lines_checked, run.breaches_found) == (1, 0)
    assert (breach.lines_count, breach.excess_hours, breach.excess_amount) == (2, Decimal("9.50"), Decimal("9.50"))


def test_new_offending_work_reopens_a_resolved_case(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    work(placement, date(2019, 1, 7))
    run_audit()
    Breach.objects.update(status=Breach.Status.RESOLVED)
    work(placement, date(2019, 1, 8))
    run_audit()
    assert Breach.objects.get().status == "open"


def test_a_run_that_dies_half_way_is_finished_by_the_next_with_the_same_totals(versions, monkeypatch):
    placements = [
        PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00") for _ in range(3)
    ]
    for placement in placements:
        for day in range(7, 11):
            work(placement, date(2019, 1, day))
    lines = list(TimesheetLine.objects.order_by("id").values_list("id", flat=True))
    monkeypatch.setattr(audit, "CHUNK_LINES", 5)
    real_chunk = audit._judge_line_chunk
    calls = []

    def dies_on_the_second_chunk(low, high, history):
        calls.append((low, high))
        if len(calls) == 2:
            raise OSError("worker killed")
        return real_chunk(low, high, history)

    monkeypatch.setattr(audit, "_judge_line_chunk", dies_on_the_second_chunk)
    with pytest.raises(OSError):
        run_audit()
    broken = AuditRun.objects.get()
    assert (broken.status, broken.checked_line_id, broken.lines_checked) == ("failed", lines[0] - 1 + 5, 5)
    assert sum(Breach.objects.values_list("lines_count", flat=True)) == 5  # the committed chunk, counted once

    monkeypatch.setattr(audit, "_judge_line_chunk", real_chunk)
    resumed = run_audit()
    assert (resumed.from_line_id, resumed.lines_checked) == (broken.checked_line_id, 7)
    assert Breach.objects.count() == 3
    assert sum(Breach.objects.values_list("lines_count", flat=True)) == 12
    assert sum(Breach.objects.values_list("excess_amount", flat=True)) == Decimal("90.00")  # 12 × 7.5 h × £1.00


def test_a_run_whose_worker_went_silent_is_taken_over(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    work(placement, date(2019, 1, 7))
    dead = AuditRunFactory(status="running", heartbeat_at=timezone.now() - timedelta(minutes=10))
    run = run_audit()
    dead.refresh_from_db()
    assert dead.status == "failed"
    assert f"finished by run {run.pk}" in dead.error
    assert (run.status, run.lines_checked) == ("finished", 1)


def test_a_run_waits_while_another_is_alive(versions):
    AuditRunFactory(status="running", heartbeat_at=timezone.now())
    waiting = AuditRunFactory(trigger="test")
    with pytest.raises(AuditBusy):
        audit_perform(run_id=waiting.pk)
    waiting.refresh_from_db()
    assert waiting.status == "queued"


def test_a_finished_run_delivered_again_does_nothing(versions):
    run = run_audit()
    assert audit_perform(run_id=run.pk) is None


def test_the_audit_is_set_based_its_queries_do_not_grow_with_lines(versions, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(lines):
        placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
        TimesheetLine.objects.bulk_create(
            TimesheetLine(
                timesheet=TimesheetFactory(placement=placement, week_ending=date(2019, 1, 13) + timedelta(weeks=n)),
                placement=placement,
                revision=1,
                date=date(2019, 1, 7) + timedelta(weeks=n),
                hours=Decimal("7.50"),
                pay_rate=Decimal("26.00"),
                charge_rate=Decimal("30.00"),
            )
            for n in range(lines)
        )
        with CaptureQueriesContext(connection) as context:
            run_audit()
        return len(context)

    assert queries_for(10) == queries_for(200)


# --- Rules 3–5: placements


def test_a_placement_started_during_a_suspension_is_a_serious_breach(versions, agency_a, coordinator):
    SuspensionFactory(
        agency=agency_a,
        kind="temporary",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 6, 1),
        reason="r",
        imposed_by=coordinator,
    )
    during = PlacementFactory(agency=agency_a, start_date=date(2025, 5, 31))
    PlacementFactory(agency=agency_a, start_date=date(2025, 6, 1))  # the day it ends: allowed again
    PlacementFactory(agency=agency_a, start_date=date(2025, 2, 28))
    run = run_audit()
    breach = Breach.objects.get()
    assert (breach.rule, breach.placement, breach.severity, breach.mou_version.name) == (
        "suspended_agency",
        during,
        "serious",
        "2025",
    )
    assert breach.description == "Started on 31/05/2025 during the agency's temporary suspension from 01/03/2025."
    assert run.placements_checked == 3


@pytest.mark.parametrize(
    "left_on, reason, breach",
    [
        (date(2024, 3, 15), "resignation", True),  # a day short of 12 months
        (date(2024, 3, 14), "resignation", False),  # 12 months to the day: cooled off
        (date(2024, 3, 15), "redundancy", False),  # exempt
        (date(2024, 3, 15), "end_of_probation", False),  # exempt
        (date(2025, 3, 14), "other", True),  # left the day it started
    ],
)
def test_cooling_off_counts_twelve_months_and_spares_exempt_reasons(versions, left_on, reason, breach):
    worker = WorkerFactory()
    PermanentLeaverFactory(worker=worker, left_on=left_on, reason=reason)
    PlacementFactory(worker=worker, start_date=date(2025, 3, 14))
    run_audit()
    assert Breach.objects.filter(rule="cooling_off").exists() is breach


def test_a_leaver_recorded_after_the_placement_was_audited_is_still_found(versions):
    worker = WorkerFactory()
    placement = PlacementFactory(worker=worker, start_date=date(2025, 3, 14))
    run_audit()
    PermanentLeaverFactory(authority=placement.authority, worker=worker, left_on=date(2025, 1, 31), reason="other")
    assert run_audit().breaches_found == 1
    assert Breach.objects.get().rule == "cooling_off"


@pytest.mark.parametrize("qualified_on, breach", [(date(2022, 3, 15), True), (date(2022, 3, 14), False), (None, False)])
def test_minimum_experience_is_three_years_and_an_unknown_qualification_date_is_no_breach(
    versions, qualified_on, breach
):
    PlacementFactory(worker_qualified_on=qualified_on, start_date=date(2025, 3, 14))
    run_audit()
    assert Breach.objects.filter(rule="experience_below_minimum").exists() is breach


def test_versions_without_an_experience_rule_do_not_apply_it(versions):
    PlacementFactory(worker_qualified_on=date(2018, 6, 1), start_date=date(2019, 1, 7))
    run_audit()
    assert not Breach.objects.exists()


def test_placement_rules_are_judged_once(versions, agency_a):
    UserFactory(role="coordinator")
    PlacementFactory(worker_qualified_on=date(2024, 1, 1), start_date=date(2025, 3, 14))
    assert run_audit().breaches_found == 1
    assert (run_audit().placements_checked, Breach.objects.count()) == (0, 1)


def test_the_history_of_each_case_starts_with_its_opening_by_the_audit_run(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    work(placement, date(2019, 1, 7))
    first = run_audit()
    work(placement, date(2019, 1, 8))
    second = run_audit()
    breach = Breach.objects.get()
    events = list(breach.events.order_by("pgh_id"))
    assert [(e.pgh_label, e.lines_count, e.excess_amount) for e in events] == [
        ("insert", 1, Decimal("7.50")),
        ("update", 2, Decimal("15.00")),
    ]
    assert [e.pgh_context.metadata for e in events] == [
        {"source": "audit", "audit_run": first.pk},
        {"source": "audit", "audit_run": second.pk},
    ]


def submit_week(placement, *, hours, pay):
    from placements.timesheets import timesheet_submit

    line = {"date": date(2019, 1, 7), "hours": hours, "pay_rate": pay, "charge_rate": "30.00"}
    return timesheet_submit(placement=placement, week_ending=date(2019, 1, 13), lines=[line])


def test_a_resubmitted_week_replaces_its_lines_in_the_case_instead_of_adding_to_them(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    submit_week(placement, hours="7.50", pay="26.00")  # £1.00/h over for 7.5 h
    run_audit()
    submit_week(placement, hours="4.00", pay="26.00")  # resubmitted: still over the cap, for 4 hours
    run_audit()
    breach = Breach.objects.get()
    assert (breach.lines_count, breach.excess_hours, breach.excess_amount) == (1, Decimal("4.00"), Decimal("4.00"))


def test_a_resubmission_within_the_cap_takes_the_excess_out_of_the_case(versions):
    placement = PlacementFactory(start_date=date(2019, 1, 7), pay_rate="26.00", charge_rate="30.00")
    submit_week(placement, hours="7.50", pay="26.00")
    run_audit()
    submit_week(placement, hours="7.50", pay="25.00")
    run_audit()
    breach = Breach.objects.get()
    assert (breach.lines_count, breach.excess_amount) == (0, Decimal("0.00"))
    assert [e.lines_count for e in breach.events.order_by("pgh_id")] == [1, 0]
