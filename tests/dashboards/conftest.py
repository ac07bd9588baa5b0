"""Data for the dashboards' tests: MoU versions with caps, placements and their timesheet lines."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from mou.models import MouVersion
from placements.models import Timesheet
from tests.factories import CapFactory, MouVersionFactory, PlacementFactory, TimesheetLineFactory, role


@pytest.fixture
def versions(db):
    """2015: SW pay cap £22.50 (no charge cap). 2018 (binds existing placements from 1 Oct 2018): SW £25.00 pay and
    £33.00 charge, £27.00 pay and £40.00 charge for limited companies. 2025: SW £26.00 and £34.00."""
    v2015 = MouVersionFactory(name="2015", effective_from=date(2015, 1, 1))
    v2018 = MouVersionFactory(name="2018", effective_from=date(2018, 4, 1), binds_existing_from=date(2018, 10, 1))
    v2025 = MouVersionFactory(
        name="2025",
        effective_from=date(2025, 1, 1),
        binds_existing_from=date(2025, 4, 1),
        status=MouVersion.Status.IN_FORCE,
    )
    CapFactory(version=v2015, role=role("SW"), max_pay_rate=Decimal("22.50"), max_charge_rate=None)
    CapFactory(version=v2018, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    CapFactory(
        version=v2018,
        role=role("SW"),
        engagement_type="limited",
        max_pay_rate=Decimal("27.00"),
        max_charge_rate=Decimal("40.00"),
    )
    CapFactory(version=v2025, role=role("SW"), max_pay_rate=Decimal("26.00"), max_charge_rate=Decimal("34.00"))
    return {"2015": v2015, "2018": v2018, "2025": v2025}


def week_ending(day: date) -> date:
    return day + timedelta(days=6 - day.weekday())


def work(placement, day, *, hours="7.50", pay=None, charge=None):
    """One line on `day`, in the current revision of its week's timesheet (the way the demo and the audit's tests
    write lines; `timesheets_store` is the way to resubmit)."""
    timesheet, _ = Timesheet.objects.get_or_create(placement=placement, week_ending=week_ending(day))
    return TimesheetLineFactory(
        timesheet=timesheet,
        date=day,
        hours=Decimal(hours),
        pay_rate=Decimal(pay or placement.pay_rate),
        charge_rate=Decimal(charge or placement.charge_rate),
    )


def week_of_work(placement, monday: date, *, days=5, **rates):
    return [work(placement, monday + timedelta(days=n), **rates) for n in range(days)]


@pytest.fixture
def region(versions, agency_a, agency_b, solihull, coventry):
    """Solihull: agency A's SW at £24/£32 (2018 caps: within) and £26/£35 (above both) in January 2019, agency B's
    limited-company SW at £26.50 (within its £27 cap). Coventry: agency B's SW at £30/£40 in January 2019."""
    solihull_a = PlacementFactory(
        agency=agency_a, authority=solihull, start_date=date(2018, 11, 5), pay_rate="24.00", charge_rate="32.00"
    )
    solihull_b = PlacementFactory(
        agency=agency_b,
        authority=solihull,
        engagement_type="limited",
        start_date=date(2018, 11, 5),
        pay_rate="26.50",
        charge_rate="33.00",
    )
    coventry_b = PlacementFactory(
        agency=agency_b, authority=coventry, start_date=date(2018, 11, 5), pay_rate="30.00", charge_rate="40.00"
    )
    week_of_work(solihull_a, date(2019, 1, 7))  # 37.5 h within the caps
    week_of_work(solihull_a, date(2019, 1, 14), days=2, pay="26.00", charge="35.00")  # 15 h above both caps
    week_of_work(solihull_b, date(2019, 1, 7))  # 37.5 h within the limited-company cap
    week_of_work(coventry_b, date(2019, 1, 7), hours="8.00")  # 40 h above both caps
    return {"solihull_a": solihull_a, "solihull_b": solihull_b, "coventry_b": coventry_b}


@pytest.fixture
def small_groups(versions, agency_a, agency_b, solihull, coventry):
    """A region where January 2019 has a social worker at each of three authorities (a group large enough to show
    anyone) and one independent reviewing officer, through an umbrella company, at Coventry alone (£38.00 pay,
    £50.00 charge: a group of one); in February Solihull's own single IRO umbrella placement (£36.00, £48.00)."""
    from dashboards.summaries import summaries_refresh
    from tests.factories import authority

    birmingham = authority("E08000025")
    for place, agency, pay in (
        (solihull, agency_a, "24.00"),
        (coventry, agency_b, "25.00"),
        (birmingham, agency_a, "23.00"),
    ):
        social_worker = PlacementFactory(
            agency=agency, authority=place, start_date=date(2018, 11, 5), pay_rate=pay, charge_rate="32.00"
        )
        week_of_work(social_worker, date(2019, 1, 7))
    coventry_iro = PlacementFactory(
        agency=agency_b,
        authority=coventry,
        role=role("IRO"),
        engagement_type="umbrella",
        start_date=date(2019, 1, 7),
        pay_rate="38.00",
        charge_rate="50.00",
    )
    week_of_work(coventry_iro, date(2019, 1, 7), days=2)
    solihull_iro = PlacementFactory(
        agency=agency_a,
        authority=solihull,
        role=role("IRO"),
        engagement_type="umbrella",
        start_date=date(2019, 2, 4),
        pay_rate="36.00",
        charge_rate="48.00",
    )
    week_of_work(solihull_iro, date(2019, 2, 4), days=2)
    summaries_refresh()
    return {"coventry_iro": coventry_iro, "solihull_iro": solihull_iro, "birmingham": birmingham}
