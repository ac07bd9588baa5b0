"""The rule lookup (mou.selectors): which version binds a day of work, and which cap applies, on every boundary."""

from datetime import date
from decimal import Decimal

import pytest

from mou.models import MouVersion
from mou.selectors import binding_version, cap_for, version_in_force
from tests.factories import CapFactory, MouVersionFactory, role

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions():
    """2015 caps; a 2018 revision that binds existing placements from 1 October 2018; a 2025 draft."""
    v2015 = MouVersionFactory(name="2015", effective_from=date(2015, 1, 1), status=MouVersion.Status.SUPERSEDED)
    v2018 = MouVersionFactory(
        name="2018",
        effective_from=date(2018, 4, 1),
        binds_existing_from=date(2018, 10, 1),
        status=MouVersion.Status.IN_FORCE,
    )
    draft = MouVersionFactory(name="2025 draft", effective_from=date(2025, 1, 1), status=MouVersion.Status.DRAFT)
    CapFactory(version=v2015, role=role("SW"), max_pay_rate=Decimal("22.50"), max_charge_rate=None)
    CapFactory(version=v2018, role=role("SW"), max_pay_rate=Decimal("25.00"), max_charge_rate=Decimal("33.00"))
    CapFactory(
        version=v2018, role=role("SW"), engagement_type="limited", max_pay_rate=Decimal("27.00"), max_charge_rate=None
    )
    CapFactory(version=draft, role=role("SW"), max_pay_rate=Decimal("20.00"))
    return v2015, v2018, draft


def test_the_day_before_a_version_takes_effect_the_old_one_binds(versions):
    v2015, v2018, _ = versions
    assert binding_version(started_on=date(2018, 3, 31), worked_on=date(2018, 3, 31)) == v2015


def test_the_day_a_version_takes_effect_it_binds_new_placements(versions):
    _, v2018, _ = versions
    assert binding_version(started_on=date(2018, 4, 1), worked_on=date(2018, 4, 1)) == v2018


def test_a_placement_started_under_the_old_version_stays_under_it_before_binds_existing_from(versions):
    v2015, _, _ = versions
    assert binding_version(started_on=date(2018, 3, 31), worked_on=date(2018, 9, 30)) == v2015


def test_a_placement_started_under_the_old_version_is_bound_by_the_new_one_from_binds_existing_from(versions):
    _, v2018, _ = versions
    assert binding_version(started_on=date(2018, 3, 31), worked_on=date(2018, 10, 1)) == v2018


def test_a_draft_version_binds_nothing(versions):
    _, v2018, _ = versions
    assert binding_version(started_on=date(2025, 6, 1), worked_on=date(2025, 6, 1)) == v2018
    assert version_in_force(on=date(2026, 1, 1)) == v2018


def test_work_before_the_first_version_has_no_cap(versions):
    assert binding_version(started_on=date(2014, 6, 1), worked_on=date(2014, 12, 31)) is None
    assert (
        cap_for(role=role("SW"), engagement_type="paye", started_on=date(2014, 6, 1), worked_on=date(2014, 12, 31))
        is None
    )


def test_a_placement_from_before_the_first_version_is_bound_from_its_effective_date(versions):
    v2015, _, _ = versions
    assert binding_version(started_on=date(2014, 6, 1), worked_on=date(2015, 1, 1)) == v2015


def test_an_engagement_specific_cap_wins_over_the_any_engagement_cap(versions):
    applicable = cap_for(
        role=role("SW"), engagement_type="limited", started_on=date(2019, 1, 1), worked_on=date(2019, 1, 7)
    )
    assert applicable.max_pay_rate == Decimal("27.00")
    assert applicable.max_charge_rate is None


def test_other_engagement_types_fall_back_to_the_any_engagement_cap(versions):
    applicable = cap_for(
        role=role("SW"), engagement_type="umbrella", started_on=date(2019, 1, 1), worked_on=date(2019, 1, 7)
    )
    assert applicable.max_pay_rate == Decimal("25.00")
    assert applicable.max_charge_rate == Decimal("33.00")


def test_old_placement_keeps_the_old_cap_until_binds_existing_from(versions):
    before = cap_for(role=role("SW"), engagement_type="paye", started_on=date(2017, 5, 1), worked_on=date(2018, 9, 30))
    after = cap_for(role=role("SW"), engagement_type="paye", started_on=date(2017, 5, 1), worked_on=date(2018, 10, 1))
    assert (before.version.name, before.max_pay_rate) == ("2015", Decimal("22.50"))
    assert (after.version.name, after.max_pay_rate) == ("2018", Decimal("25.00"))


def test_a_capped_role_the_version_sets_no_cap_for_has_the_version_but_no_cap(versions):
    applicable = cap_for(
        role=role("TM"), engagement_type="paye", started_on=date(2019, 1, 1), worked_on=date(2019, 1, 7)
    )
    assert applicable.version.name == "2018"
    assert applicable.cap is None
    assert applicable.max_pay_rate is None


def test_an_uncapped_role_is_never_capped(versions):
    assert (
        cap_for(role=role("SM"), engagement_type="paye", started_on=date(2019, 1, 1), worked_on=date(2019, 1, 7))
        is None
    )
