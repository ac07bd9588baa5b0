"""The audit's SQL form of the binding rule agrees with the selector's, on every boundary of every version."""

from datetime import date, timedelta
from itertools import product

from django.db import connection

import pytest

from mou.models import MouVersion
from mou.selectors import binding_version, binding_version_sql
from tests.factories import MouVersionFactory

pytestmark = pytest.mark.django_db


def test_sql_and_selector_pick_the_same_version_around_every_boundary():
    MouVersionFactory(name="2015", effective_from=date(2015, 1, 1))
    MouVersionFactory(name="2017", effective_from=date(2017, 4, 1), binds_existing_from=date(2017, 7, 1))
    MouVersionFactory(name="2018", effective_from=date(2018, 4, 1), binds_existing_from=date(2018, 10, 1))
    MouVersionFactory(
        name="2025", effective_from=date(2025, 1, 1), binds_existing_from=date(2025, 4, 1), status="in_force"
    )
    MouVersionFactory(name="draft", effective_from=date(2026, 1, 1), status=MouVersion.Status.DRAFT)
    boundaries = [date(2015, 1, 1), date(2017, 4, 1), date(2017, 7, 1), date(2018, 4, 1), date(2018, 10, 1)]
    boundaries += [date(2025, 1, 1), date(2025, 4, 1), date(2026, 1, 1)]
    days = sorted({day + timedelta(days=delta) for day in boundaries for delta in (-1, 0, 1)})
    pairs = [(start, worked) for start, worked in product(days, days) if start <= worked]

    expression, params = binding_version_sql(started_on="s", worked_on="w")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s, w, {expression} FROM unnest(%s::date[], %s::date[]) AS pairs (s, w)",
            [*params, [s for s, _ in pairs], [w for _, w in pairs]],
        )
        from_sql = {(s, w): version_id for s, w, version_id in cursor.fetchall()}

    from_selector = {}
    for start, worked in pairs:
        version = binding_version(started_on=start, worked_on=worked)
        from_selector[(start, worked)] = version.pk if version else None
    assert len(pairs) == 300  # 24 days, every start on or before every worked day
    assert from_sql == from_selector
