"""A quarter's worth of Solihull's data (2025-Q1), with something just outside it on every side."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

import pytest

from compliance.models import Breach
from placements.models import Timesheet
from tests.factories import (
    AgencyFactory,
    BreachFactory,
    BreachLineFactory,
    CapExceptionFactory,
    PlacementFactory,
    SuspensionFactory,
    TimesheetLineFactory,
    role,
)


def work(placement, day, hours, charge, *, superseded=False):
    """A timesheet line of `placement` on `day` (a superseded line is history: a resubmission replaced it)."""
    week_ending = day + timedelta(days=6 - day.weekday())
    timesheet, _ = Timesheet.objects.get_or_create(placement=placement, week_ending=week_ending)
    return TimesheetLineFactory(
        timesheet=timesheet,
        date=day,
        hours=Decimal(hours),
        charge_rate=Decimal(charge),
        superseded_at=timezone.now() if superseded else None,
    )


def detected(breach, day):
    Breach.objects.filter(pk=breach.pk).update(
        detected_at=timezone.make_aware(datetime(day.year, day.month, day.day, 12))
    )
    breach.refresh_from_db()
    return breach


def case(placement, day, **fields):
    """A case on `placement` detected at noon on `day`."""
    return detected(BreachFactory(placement=placement, **fields), day)


@pytest.fixture
def quarter_data(agency_a, agency_b, solihull, coventry, coordinator):
    agency_c = AgencyFactory(name="Gamma Interim Ltd")
    agency_d = AgencyFactory(name="Delta Staffing Ltd")
    agency_e = AgencyFactory(name="Epsilon Locums Ltd")
    sw, ssw = role("SW"), role("SSW")
    p = {
        "ends_in_q": PlacementFactory(
            agency=agency_a,
            authority=solihull,
            role=sw,
            worker__swe_number="SW5001",
            start_date=date(2024, 11, 1),
            end_date=date(2025, 2, 15),
            pay_rate=Decimal("26.00"),
            charge_rate=Decimal("35.00"),
            project_team=True,
        ),
        "starts_last_day": PlacementFactory(
            agency=agency_b,
            authority=solihull,
            role=ssw,
            worker__swe_number="SW5002",
            start_date=date(2025, 3, 31),
            pay_rate=Decimal("28.00"),
            charge_rate=Decimal("40.00"),
        ),
        "suspended_agencys": PlacementFactory(
            agency=agency_c, authority=solihull, worker__swe_number="SW5003", start_date=date(2024, 6, 1)
        ),
        "epsilons": PlacementFactory(
            agency=agency_e, authority=solihull, worker__swe_number="SW5007", start_date=date(2024, 6, 1)
        ),
        "ended_before": PlacementFactory(
            agency=agency_a,
            authority=solihull,
            worker__swe_number="SW5004",
            start_date=date(2024, 6, 1),
            end_date=date(2024, 12, 31),
        ),
        "starts_after": PlacementFactory(
            agency=agency_a, authority=solihull, worker__swe_number="SW5005", start_date=date(2025, 4, 1)
        ),
        "coventrys": PlacementFactory(
            agency=agency_d, authority=coventry, worker__swe_number="SW5006", start_date=date(2024, 6, 1)
        ),
    }
    jan = work(p["ends_in_q"], date(2025, 1, 6), "7.50", "35.00")
    work(p["ends_in_q"], date(2025, 2, 3), "7.00", "35.00")
    work(p["ends_in_q"], date(2025, 2, 4), "7.00", "35.00", superseded=True)
    work(p["ends_in_q"], date(2024, 12, 30), "7.00", "35.00")
    work(p["starts_last_day"], date(2025, 3, 31), "8.00", "40.00")
    work(p["coventrys"], date(2025, 3, 3), "7.00", "99.00")

    offending_work_in_q = case(p["ends_in_q"], date(2024, 12, 20), cap_amount=Decimal("25.50"))
    BreachLineFactory(breach=offending_work_in_q, line=jan, cap=Decimal("25.50"))
    Breach.objects.filter(pk=offending_work_in_q.pk).update(excess_amount=Decimal("10.75"), lines_count=2)
    breaches = {
        "offending_work_in_q": offending_work_in_q,
        "detected_in_q": case(
            p["starts_last_day"],
            date(2025, 2, 10),
            rule=Breach.Rule.MANUAL,
            source=Breach.Source.MANUAL,
            description="Approached a worker in post",
        ),
        "detected_before": case(p["ends_in_q"], date(2024, 10, 1), rule=Breach.Rule.CHARGE_RATE_ABOVE_CAP),
        "detected_after": case(p["ends_in_q"], date(2025, 4, 2), rule=Breach.Rule.COOLING_OFF),
        "coventrys": case(p["coventrys"], date(2025, 2, 1)),
    }

    exceptions = {
        "overlapping": CapExceptionFactory(
            placement=p["ends_in_q"],
            valid_from=date(2024, 12, 1),
            valid_until=date(2025, 1, 31),
            signed_by_dcs="Dr A. Director",
            signed_by_chief_executive="B. Chief",
        ),
        "before": CapExceptionFactory(
            placement=p["ends_in_q"], valid_from=date(2024, 6, 1), valid_until=date(2024, 12, 31)
        ),
        "from_last_day": CapExceptionFactory(
            placement=p["starts_last_day"], valid_from=date(2025, 3, 31), valid_until=date(2025, 6, 30)
        ),
        "coventrys": CapExceptionFactory(
            placement=p["coventrys"], valid_from=date(2025, 1, 1), valid_until=date(2025, 3, 31)
        ),
    }

    def suspend(agency, **kwargs):
        return SuspensionFactory(agency=agency, reason="Offered rates above the cap", imposed_by=coordinator, **kwargs)

    suspensions = {
        "in_q": suspend(agency_c, kind="ongoing", starts_on=date(2025, 2, 1)),
        # Supplies only Coventry: not Solihull's concern.
        "elsewhere": suspend(agency_d, kind="ongoing", starts_on=date(2025, 2, 1)),
        # Ended on 1 January (its end date is the first day it no longer applies): before the quarter.
        "ended_before": suspend(agency_e, kind="temporary", starts_on=date(2024, 11, 1), ends_on=date(2025, 1, 1)),
    }
    return {"placements": p, "breaches": breaches, "exceptions": exceptions, "suspensions": suspensions}
