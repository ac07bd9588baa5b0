"""GET stats/workforce/ (SPEC §7): the three rates by period end, official or from returns, an authority or the
region; suppressed values null with their code, never 0."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from region.models import Authority
from tests.api.test_reference_api import token_client
from tests.factories import WorkforceReturnFactory, authority
from tests.workforce.helpers import OLDER_RELEASE, official
from workforce.selectors import WEST_MIDLANDS

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/workforce/"
SOLIHULL, COVENTRY = "E08000029", "E08000026"


@pytest.fixture
def solihull_official(db):
    official(
        SOLIHULL, 2024, employed="118.3", agency="63.8", vacancies="52.8", leavers="19.6", rates=("35", "16.6", "30.9")
    )
    official(SOLIHULL, 2025, employed="153.6", agency="46", vacancies="19", leavers="18.9", rates=("23", "12.3", "11"))


def test_official_figures_of_an_authority_are_the_published_rates(analyst, solihull_official):
    body = token_client(analyst).get(URL, {"authority": SOLIHULL}).json()
    assert body["authority"] == SOLIHULL and body["area_name"] == "Solihull" and body["source"] == "official"
    assert [
        (p["period_end"], p["agency_rate"], p["turnover_rate"], p["vacancy_rate"], p["suppressed"])
        for p in body["series"]
    ] == [
        ("2024-09-30", "35.0", "16.6", "30.9", {}),
        ("2025-09-30", "23.0", "12.3", "11.0", {}),
    ]


def test_official_is_the_default_source(analyst, solihull_official):
    assert token_client(analyst).get(URL, {"authority": SOLIHULL}).json()["source"] == "official"


def test_a_suppressed_official_rate_is_null_with_its_code_never_zero(analyst):
    official(
        "E08000025", 2024, employed="766.2", agency=None, vacancies="278", leavers="99.1", rates=(None, "12.9", "26.6")
    )
    [point] = token_client(analyst).get(URL, {"authority": "E08000025"}).json()["series"]
    assert point["agency_rate"] is None
    assert point["suppressed"] == {"agency_rate": "u"}
    assert (point["turnover_rate"], point["vacancy_rate"]) == ("12.9", "26.6")


def test_a_year_revised_in_a_later_release_comes_from_the_later_release(analyst):
    # The newer release is the one reaching the later year (2025, here through Coventry's row).
    official(
        COVENTRY, 2025, employed="377.8", agency="24.4", vacancies="30", leavers="42.6", rates=("6.1", "11.3", "7.4")
    )
    official(
        SOLIHULL,
        2019,
        employed="110.6",
        agency="20.3",
        vacancies="17",
        leavers="11.8",
        rates=("15.5", "10.7", "13.3"),
        release=OLDER_RELEASE,
    )
    official(
        SOLIHULL, 2019, employed="109.6", agency="20.3", vacancies="17", leavers="11.8", rates=("15.6", "10.8", "13.4")
    )
    official(
        SOLIHULL,
        2022,
        employed="124.3",
        agency="54",
        vacancies="24.5",
        leavers="22.7",
        rates=("30.3", "18.3", "16.4"),
        release=OLDER_RELEASE,
    )
    series = token_client(analyst).get(URL, {"authority": SOLIHULL}).json()["series"]
    assert [(p["period_end"], p["agency_rate"], p["release"]) for p in series] == [
        ("2019-09-30", "15.6", "csww_indicators_2017_to_2025"),
        ("2022-09-30", "30.3", OLDER_RELEASE),  # only the older file has it
    ]


def test_the_region_is_the_published_west_midlands_row(analyst):
    official(
        WEST_MIDLANDS,
        2024,
        employed="3982.3",
        agency="569.5",
        vacancies="887.5",
        leavers="475.7",
        rates=("13.9", "11.9", "18.2"),
    )
    body = token_client(analyst).get(URL).json()
    assert body["authority"] is None and body["area_name"] == "West Midlands (14 authorities)"
    # Published 13.9, although 569.5 ÷ (569.5 + 3982.3) would be 12.5: the published figure is what is shown.
    assert [(p["agency_rate"], p["turnover_rate"], p["vacancy_rate"]) for p in body["series"]] == [
        ("13.9", "11.9", "18.2")
    ]


def test_without_a_regional_row_the_region_sums_the_14_authorities_ftes(analyst):
    for n, one in enumerate(Authority.objects.order_by("code")):
        # 100 employed each; agency 10 + n, so 14 × 100 employed and 231 agency in all
        official(
            one.code, 2030, employed="100", agency=str(10 + n), vacancies="25", leavers="10", rates=("1", "1", "1")
        )
    [point] = token_client(analyst).get(URL).json()["series"]
    assert point["agency_rate"] == str((Decimal(231) / Decimal(1631) * 100).quantize(Decimal("0.1")))  # 14.2
    assert (point["turnover_rate"], point["vacancy_rate"]) == ("10.0", "20.0")
    assert point["authorities"] == 14


def test_a_sum_missing_an_authority_is_a_gap_with_the_code_not_a_smaller_rate(analyst):
    for one in Authority.objects.exclude(code="E08000025"):
        official(one.code, 2030, employed="100", agency="10", vacancies="25", leavers="10", rates=("1", "1", "1"))
    official("E08000025", 2030, employed="100", agency=None, vacancies="25", leavers="10", rates=(None, "10", "20"))
    [point] = token_client(analyst).get(URL).json()["series"]
    assert point["agency_rate"] is None and point["suppressed"] == {"agency_rate": "u"}
    assert point["turnover_rate"] == "10.0"


def test_returns_of_an_authority_give_the_derived_rates(analyst):
    WorkforceReturnFactory(period_end=date(2025, 3, 31))
    WorkforceReturnFactory(period_end=date(2024, 12, 31), agency_fte=Decimal("20"))
    body = token_client(analyst).get(URL, {"authority": SOLIHULL, "source": "returns"}).json()
    assert [(p["period_end"], p["agency_rate"], p["release"]) for p in body["series"]] == [
        ("2024-12-31", "10.0", ""),
        ("2025-03-31", "20.0", ""),
    ]


def test_returns_of_the_region_sum_the_authorities_ftes_per_period_end(analyst):
    for code in (SOLIHULL, COVENTRY, "E08000030"):
        WorkforceReturnFactory(authority=authority(code))
    WorkforceReturnFactory(authority=authority(COVENTRY), period_end=date(2025, 3, 31), agency_fte=Decimal("0"))
    series = token_client(analyst).get(URL, {"source": "returns"}).json()["series"]
    assert [(p["period_end"], p["agency_rate"], p["authorities"]) for p in series] == [
        ("2024-09-30", "20.0", 3),
        ("2025-03-31", "0.0", 1),
    ]


def test_a_council_reads_its_own_returns_and_the_regions_sums_but_not_another_authoritys(council_user, coventry):
    for code in (SOLIHULL, COVENTRY, "E08000030"):
        WorkforceReturnFactory(authority=authority(code))
    WorkforceReturnFactory(authority=coventry, period_end=date(2025, 3, 31))
    client = token_client(council_user)
    assert client.get(URL, {"authority": SOLIHULL, "source": "returns"}).status_code == 200
    denied = client.get(URL, {"authority": COVENTRY, "source": "returns"})
    assert denied.status_code == 403
    region = client.get(URL, {"source": "returns"}).json()["series"]
    # Three authorities in September's sum; March's is Coventry's alone, so it is withheld from a council.
    assert [(p["agency_rate"], p["suppressed"]) for p in region] == [
        ("20.0", {}),
        (None, {"agency_rate": "c", "turnover_rate": "c", "vacancy_rate": "c"}),
    ]


def test_anyone_signed_in_reads_official_figures_of_any_authority(council_user, agency_user, solihull_official):
    assert len(token_client(council_user).get(URL, {"authority": SOLIHULL}).json()["series"]) == 2
    other = token_client(agency_user)
    assert len(other.get(URL, {"authority": SOLIHULL}).json()["series"]) == 2
    assert other.get(URL, {"source": "returns"}).status_code == 403


def test_an_unknown_authority_or_source_is_a_400_field_error(analyst):
    client = token_client(analyst)
    assert client.get(URL, {"authority": "E99999999"}).json() == {"authority": ["unknown authority"]}
    response = client.get(URL, {"source": "rumours"})
    assert response.status_code == 400
    assert list(response.json()) == ["source"]


def test_signed_out_callers_get_401():
    assert APIClient().get(URL).status_code == 401


def test_the_stats_take_the_same_queries_for_one_year_or_nine(analyst, django_assert_num_queries):
    client = token_client(analyst)
    official(SOLIHULL, 2017, employed="81.1", agency="18", vacancies="9", leavers="12.5", rates=("18.2", "15.5", "10"))
    # savepoint (ATOMIC_REQUESTS), token and user, the authority named, the latest year of each release, the
    # authority's official rows, release
    with django_assert_num_queries(6):
        client.get(URL, {"authority": SOLIHULL})
    for year in range(2018, 2026):
        official(SOLIHULL, year, employed="100", agency="10", vacancies="10", leavers="10", rates=("9.1", "10", "9.1"))
    with django_assert_num_queries(6):
        assert len(client.get(URL, {"authority": SOLIHULL}).json()["series"]) == 9
