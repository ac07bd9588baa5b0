"""Small groups are withheld (issue 17, point 4): a figure a council reads from outside its own authority (the
region's) adds up only the groups resting on at least 3 placements and 3 authorities, and is withheld, code `c`,
when it has none; the coordinator and analysts see everything, a council its own placements in full
(futuresocial.disclosure)."""

import csv
import io

import pytest
from openpyxl import load_workbook

from futuresocial.disclosure import is_small, withheld_from

pytestmark = pytest.mark.django_db

RATES = "/dashboards/rates/"
COST = "/dashboards/cost/"
# The region's IRO umbrella work of January 2019: Coventry's single placement.
CORNER = {"role": "IRO", "authority": "", "engagement_type": "umbrella", "start": "2019-01", "end": "2019-01"}


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("placements", "authorities", "small"),
    [
        (1, None, True),
        (2, None, True),
        (3, None, False),
        (3, 2, True),
        (3, 3, False),
        (None, 2, True),
        (None, 3, False),
    ],
)
def test_a_group_is_small_below_three_placements_or_three_authorities(placements, authorities, small):
    assert is_small(placements=placements, authorities=authorities) is small


def test_only_a_reader_outside_the_group_has_it_withheld(coordinator, analyst, council_user, solihull, coventry):
    assert not withheld_from(coordinator, placements=1, authorities=1)
    assert not withheld_from(analyst, placements=1, authorities=1)
    assert withheld_from(council_user, placements=1, authorities=1)  # the region's
    assert not withheld_from(council_user, authority_id=solihull.pk, placements=1, authorities=1)  # its own
    assert withheld_from(council_user, authority_id=coventry.pk, placements=1, authorities=1)


def test_a_council_reading_the_region_never_sees_another_authoritys_single_placement(
    client, council_user, small_groups
):
    client.force_login(council_user)
    rows = csv_rows(client.get(RATES, {**CORNER, "export": "csv"}))
    assert rows[1] == ["2019-01", *["— (c)"] * 6, "", *["— (c)"] * 5, "", "— (c)"]  # caps: IRO has none here
    assert "38.00" not in "".join(rows[1]) and "50.00" not in "".join(rows[1])
    sheet = xlsx_rows(client.get(RATES, {**CORNER, "export": "xlsx"}))
    assert sheet[1][:7] == ["2019-01", *["— (c)"] * 6]
    body = client.get(RATES, CORNER).content.decode()
    assert "38.00" not in body and "50.00" not in body
    assert "What the region's figures leave out" in body
    assert "only groups of at least 3 placements from at least 3 authorities" in body


def test_the_coordinator_sees_the_single_placement(client, coordinator, small_groups):
    client.force_login(coordinator)
    rows = csv_rows(client.get(RATES, {**CORNER, "export": "csv"}))
    assert rows[1][:7] == ["2019-01", "2", "15.00", "38.00", "0.00", "38.00", "38.00"]
    assert "figures leave out" not in client.get(RATES, CORNER).content.decode()


def test_a_council_sees_its_own_single_placement_in_full(client, council_user, small_groups):
    client.force_login(council_user)
    own = {"role": "IRO", "engagement_type": "umbrella"}  # its own authority: the default
    rows = csv_rows(client.get(RATES, {**own, "export": "csv"}))
    assert [row[:7] for row in rows[1:]] == [["2019-02", "2", "15.00", "36.00", "0.00", "36.00", "36.00"]]


def test_lowest_and_highest_rates_are_shown_only_over_groups_large_enough(client, council_user, small_groups):
    client.force_login(council_user)
    social_workers = csv_rows(client.get(RATES, {"role": "SW", "authority": "", "export": "csv"}))
    # Three placements at three authorities: shown, the lowest and highest pay too
    assert social_workers[1][:7] == ["2019-01", "15", "112.50", "24.00", "0.82", "23.00", "25.00"]
    iro = csv_rows(client.get(RATES, {"role": "IRO", "authority": "", "export": "csv"}))
    # Coventry's January and Solihull's February: one placement each, lowest and highest withheld with the rest
    assert [row[:7] for row in iro[1:]] == [[month, *["— (c)"] * 6] for month in ("2019-01", "2019-02")]


def test_a_figure_over_the_period_adds_up_only_its_large_groups(client, council_user, small_groups):
    client.force_login(council_user)
    # Every role over the period: the IRO row has only two single placements (a difference with Solihull's own
    # February would give Coventry's January away): withheld; social workers' three placements are shown.
    rows = csv_rows(client.get(RATES, {"role": "SW", "authority": "", "export": "csv", "table": "rates-by-role"}))
    by_role = {row[0].split(" – ")[0]: row[1:3] for row in rows[1:]}
    assert by_role["SW"] == ["112.50", "24.00"]
    assert by_role["IRO"] == ["— (c)", "— (c)"]


def test_the_cost_page_adds_up_a_regions_month_over_its_large_groups(client, council_user, coordinator, small_groups):
    client.force_login(council_user)
    query = {"authority": "", "export": "csv", "table": "agency-spend-by-month"}
    rows = csv_rows(client.get(COST, query))
    # January: the social workers' three placements, not Coventry's single IRO one (£750); February is Solihull's
    # single placement only: withheld
    assert rows[1:] == [["2019-01", "112.50", "3600.00", "", ""], ["2019-02", *["— (c)"] * 4]]
    by_authority = csv_rows(client.get(COST, {"export": "csv", "table": "agency-spend-by-authority"}))
    assert by_authority[1:] == [
        ["Solihull", "52.50", "36.57", "1920.00", "", ""],  # its own: 37.5 h × £32 + 15 h × £48 (no pre-cap rate)
        ["The region (all 14)", "112.50", "32.00", "3600.00", "", ""],  # the large groups only
    ]
    assert "only groups of at least 3 placements from" in client.get(COST, {"authority": ""}).content.decode()
    client.force_login(coordinator)
    rows = csv_rows(client.get(COST, query))
    assert [row[:3] for row in rows[1:]] == [["2019-01", "127.50", "4350.00"], ["2019-02", "15.00", "720.00"]]
