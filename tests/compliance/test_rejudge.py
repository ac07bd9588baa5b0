"""Re-judging (SPEC §3 Audit): a change that alters how work already judged is judged (a cap exception covering past
days, an MoU version recorded for past dates, a suspension recorded later than the placements it touches) makes the
next audit judge exactly that work again: lines move to the case that now binds them, cases left empty are dismissed
naming the change, totals follow, and a second audit changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

import pytest

from compliance.models import Breach, Rejudge
from compliance.suspensions import agency_suspend
from mou.models import MouVersion
from mou.services import CapInput, mou_version_bring_into_force, mou_version_draft
from placements.services import cap_exception_record
from tests.compliance.test_audit import run_audit, work
from tests.factories import PlacementFactory, role

pytestmark = pytest.mark.django_db

BreachEvent = apps.get_model("compliance", "BreachEvent")


def snapshot():
    return sorted(
        (
            b.rule,
            b.mou_version.name,
            b.status,
            b.excess_amount,
            b.lines_count,
            sorted(b.lines.values_list("line_id", flat=True)),
        )
        for b in Breach.objects.select_related("mou_version")
    )


def a_week_over_the_cap(placement, monday, *, pay):
    return [work(placement, monday + timedelta(days=i), pay=pay) for i in range(5)]


def test_a_cap_exception_recorded_for_past_days_empties_and_dismisses_their_case(versions, coordinator):
    # 2025's SW pay cap is £26.00: five days of 7.5 h at £27.00 are £37.50 over it.
    placement = PlacementFactory(start_date=date(2025, 6, 2), pay_rate="26.00", charge_rate="32.00")
    a_week_over_the_cap(placement, date(2025, 6, 2), pay="27.00")
    run_audit()
    breach = Breach.objects.get()
    assert (breach.rule, breach.excess_amount, breach.lines_count, breach.status) == (
        "pay_rate_above_cap",
        Decimal("37.50"),
        5,
        "open",
    )

    exception = cap_exception_record(
        placement=placement,
        signed_by_dcs="A. Director",
        signed_by_chief_executive="B. Chief",
        reason="Signed off after the fact",
        valid_from=date(2025, 6, 2),
        valid_until=date(2025, 6, 30),
        by=coordinator,
    )
    assert Rejudge.objects.get().placement == placement
    run = run_audit()
    breach.refresh_from_db()
    assert (breach.excess_amount, breach.excess_hours, breach.lines_count, breach.lines.count()) == (0, 0, 0, 0)
    assert breach.status == "dismissed"
    assert breach.dismissed_reason == (
        f"Cap exception {exception.pk}, recorded {timezone.localdate():%-d %B %Y}, covers these days: its lines no "
        "longer breach the cap."
    )
    assert (run.lines_rejudged, Rejudge.objects.get().audit_run_id, Rejudge.objects.get().lines_rejudged) == (
        5,
        run.pk,
        5,
    )
    # The change is in the case's history, under the run.
    last = BreachEvent.objects.filter(pgh_obj_id=breach.pk).order_by("pgh_id").last()
    assert (last.status, last.pgh_context.metadata["audit_run"]) == ("dismissed", run.pk)

    before = snapshot()
    again = run_audit()
    assert snapshot() == before
    assert again.lines_rejudged == 0


def test_an_exception_covering_only_some_days_takes_out_only_those(versions, coordinator):
    placement = PlacementFactory(start_date=date(2025, 6, 2), pay_rate="26.00", charge_rate="32.00")
    lines = a_week_over_the_cap(placement, date(2025, 6, 2), pay="27.00")
    run_audit()
    cap_exception_record(
        placement=placement,
        signed_by_dcs="A. Director",
        signed_by_chief_executive="B. Chief",
        reason="Two days' cover",
        valid_from=date(2025, 6, 2),
        valid_until=date(2025, 6, 3),
        by=coordinator,
    )
    run_audit()
    breach = Breach.objects.get()
    assert (breach.excess_amount, breach.lines_count, breach.status) == (Decimal("22.50"), 3, "open")
    assert sorted(breach.lines.values_list("line_id", flat=True)) == [line.pk for line in lines[2:]]


def back_dated(name, effective_from, pay, by):
    version = mou_version_draft(
        name=name,
        effective_from=effective_from,
        caps=[CapInput(role=role("SW"), engagement_type=None, max_pay_rate=Decimal(pay))],
        by=by,
    )
    return mou_version_bring_into_force(version, by=by, reason="Correcting the record")


def test_a_back_dated_version_with_lower_caps_opens_the_cases_it_implies_once(versions, coordinator):
    # Under 2015 (£22.50) a 2016 placement paid £22.00 is within the cap.
    placement = PlacementFactory(start_date=date(2016, 3, 7), pay_rate="22.00", charge_rate="30.00")
    a_week_over_the_cap(placement, date(2016, 3, 7), pay="22.00")
    run_audit()
    assert not Breach.objects.exists()

    adoption = back_dated("2016", date(2016, 1, 1), "21.00", coordinator)
    assert (adoption.outcome, adoption.status, adoption.judged_work.lines, adoption.judged_work.placements) == (
        "recorded",
        "superseded",
        5,
        1,
    )
    assert MouVersion.objects.get(name="2015").status == "superseded"
    run = run_audit()
    breach = Breach.objects.get()
    assert (breach.rule, breach.mou_version.name, breach.excess_amount, breach.lines_count, breach.status) == (
        "pay_rate_above_cap",
        "2016",
        Decimal("37.50"),
        5,
        "open",
    )
    assert (run.lines_rejudged, run.placements_rejudged, run.breaches_found) == (5, 1, 1)
    before = snapshot()
    run_audit()
    assert snapshot() == before


def test_a_back_dated_version_moves_lines_out_of_the_old_versions_case(versions, coordinator):
    # £23.00 is over 2015's £22.50; a version recorded for 2016 with a £24.00 cap binds those days instead.
    placement = PlacementFactory(start_date=date(2016, 3, 7), pay_rate="23.00", charge_rate="30.00")
    a_week_over_the_cap(placement, date(2016, 3, 7), pay="23.00")
    run_audit()
    old = Breach.objects.get()
    assert (old.mou_version.name, old.lines_count) == ("2015", 5)
    back_dated("2016", date(2016, 1, 1), "24.00", coordinator)
    run_audit()
    old.refresh_from_db()
    assert (old.lines_count, old.excess_amount, old.status) == (0, 0, "dismissed")
    assert old.dismissed_reason == (
        "MoU version 2016 adopted for work from 1 January 2016: its lines no longer breach the cap."
    )
    assert Breach.objects.count() == 1


def test_a_suspension_recorded_after_a_placement_was_registered_to_start_in_it_opens_its_case(coordinator):
    from tests.factories import CapFactory, MouVersionFactory

    version = MouVersionFactory(name="2025", effective_from=date(2025, 1, 1), status=MouVersion.Status.IN_FORCE)
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("40.00"))
    today = timezone.localdate()
    placement = PlacementFactory(start_date=today + timedelta(days=10))
    run_audit()
    assert not Breach.objects.exists()
    agency_suspend(
        agency=placement.agency,
        kind="ongoing",
        starts_on=today + timedelta(days=5),
        reason="Repeated breaches",
        by=coordinator,
    )
    run = run_audit()
    breach = Breach.objects.get()
    assert (breach.rule, breach.placement, breach.status) == ("suspended_agency", placement, "open")
    assert run.placements_rejudged == 1


def test_the_audit_page_and_api_say_what_the_run_judged_again_and_why(client, versions, coordinator):
    from tests.api.test_reference_api import token_client

    placement = PlacementFactory(start_date=date(2025, 6, 2), pay_rate="26.00", charge_rate="32.00")
    a_week_over_the_cap(placement, date(2025, 6, 2), pay="27.00")
    run_audit()
    exception = cap_exception_record(
        placement=placement,
        signed_by_dcs="A. Director",
        signed_by_chief_executive="B. Chief",
        reason="Signed off after the fact",
        valid_from=date(2025, 6, 2),
        valid_until=date(2025, 6, 30),
        by=coordinator,
    )
    run = run_audit()
    client.force_login(coordinator)
    page = client.get(f"/audit/{run.pk}/").content.decode()
    assert "5 lines and 0 placements judged before, because:" in page
    assert f"Cap exception {exception.pk}, recorded" in page
    answer = token_client(coordinator).get(f"/api/v1/audit-runs/{run.pk}/").json()
    assert (answer["lines_rejudged"], answer["placements_rejudged"]) == (5, 0)
