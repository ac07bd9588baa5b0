"""Fixtures of the compliance tests."""

from datetime import date
from decimal import Decimal

import pytest

from mou.models import MouVersion
from tests.factories import CapFactory, MouVersionFactory, role


@pytest.fixture
def versions():
    """2015: SW pay cap £22.50 (no charge cap). 2018 (binds existing placements from 1 Oct 2018): SW £25.00 pay and
    £33.00 charge, £27.00 pay for limited companies. 2025: 12 months' cooling-off, 3 years' experience."""
    v2015 = MouVersionFactory(name="2015", effective_from=date(2015, 1, 1), cooling_off_months=12)
    v2018 = MouVersionFactory(name="2018", effective_from=date(2018, 4, 1), binds_existing_from=date(2018, 10, 1))
    v2025 = MouVersionFactory(
        name="2025",
        effective_from=date(2025, 1, 1),
        binds_existing_from=date(2025, 4, 1),
        status=MouVersion.Status.IN_FORCE,
        cooling_off_months=12,
        min_experience_years=3,
    )
    CapFactory(version=v2015, role=role("SW"), max_pay_rate=Decimal("22.50"), max_charge_rate=None)
    CapFactory(version=v2018, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    CapFactory(version=v2018, role=role("SW"), engagement_type="limited", max_pay_rate=Decimal("27.00"))
    CapFactory(version=v2025, role=role("SW"), max_pay_rate=Decimal("26.00"), max_charge_rate=Decimal("34.00"))
    return {"2015": v2015, "2018": v2018, "2025": v2025}
