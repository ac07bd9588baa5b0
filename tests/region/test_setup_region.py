"""`setup_region` (issue 15): a fresh database becomes any English region's, its authorities from the official
statistics the product ships; the region's name in titles, pages, emails and the API; England and every region's
published rows through `stats/workforce/`."""

import csv
from collections import defaultdict
from decimal import Decimal
from io import StringIO

from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

import pytest

from accounts.models import User
from region.models import Authority, Region
from region.selectors import WEST_MIDLANDS, deployment_region, remember_region
from tests.api.test_reference_api import token_client
from tests.factories import UserFactory, authority

pytestmark = pytest.mark.django_db

INDICATORS = settings.BASE_DIR / "data" / "official" / "csww_indicators_2017_to_2025.csv"
STATS = "/api/v1/stats/workforce/"
# The nine regions; the file lists London's boroughs under Inner and Outer London.
REGIONS = {
    "North East": ("E12000001",),
    "North West": ("E12000002",),
    "Yorkshire and The Humber": ("E12000003",),
    "East Midlands": ("E12000004",),
    "West Midlands": ("E12000005",),
    "East of England": ("E12000006",),
    "London": ("E13000001", "E13000002"),
    "South East": ("E12000008",),
    "South West": ("E12000009",),
}


def the_file():
    """{region name: {ONS code: (name, 2025 published agency rate)}} read straight from the file, the latest year
    (2025) only, a merged row (`940 / 941`) counted as its councils."""
    found = defaultdict(dict)
    with INDICATORS.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            if row["time_period"] != "2025" or row["geographic_level"] != "Local authority":
                continue
            [region] = [name for name, codes in REGIONS.items() if row["region_code"] in codes]
            codes, names = row["new_la_code"].split(" / "), row["la_name"].split(" / ")
            for code, name in zip(codes, names, strict=True):
                found[region][code] = (name, row["agency_rate_fte"])
    return found


FILE = the_file()


def setup_region(name):
    out = StringIO()
    call_command("setup_region", name, stdout=out)
    return out.getvalue()


def import_statistics():
    call_command("import_workforce_stats", str(INDICATORS), stdout=StringIO())


@pytest.mark.parametrize("name", list(REGIONS))
def test_each_region_gets_its_authorities_name_and_figures(name, client, analyst):
    setup_region(name)
    assert sorted(Authority.objects.values_list("code", flat=True)) == sorted(FILE[name])
    if name != "West Midlands":  # the default, already there: no row needed
        assert Region.objects.get().name == name

    client.force_login(analyst)
    assert f"· {name} Agency Protocol</title>" in client.get(reverse("home")).content.decode()

    import_statistics()
    code, (authority_name, published) = min(FILE[name].items(), key=lambda item: item[1][0])
    body = token_client(analyst).get(STATS, {"authority": code}).json()
    assert body["area_name"] == authority_name
    [point] = [p for p in body["series"] if p["period_end"] == "2025-09-30"]
    if published[:1].isdigit():
        assert Decimal(point["agency_rate"]) == Decimal(published)
    else:  # suppressed: a gap with its code
        assert point["agency_rate"] is None and point["suppressed"]["agency_rate"] == published


def test_the_counts_are_those_of_the_latest_year():
    assert {name: len(codes) for name, codes in FILE.items()} == {
        "North East": 12,
        "North West": 24,
        "Yorkshire and The Humber": 15,
        "East Midlands": 10,  # North and West Northamptonshire reported in one row
        "West Midlands": 14,
        "East of England": 11,
        "London": 33,  # Kingston and Richmond in one row
        "South East": 19,
        "South West": 15,
    }


def test_a_north_east_deployment(client, analyst, coordinator):
    out = setup_region("north east")  # any case
    assert "now the North East: 12 authorities from the official statistics for 2025" in out
    assert Authority.objects.count() == 12
    northumberland = Authority.objects.get(code="E06000057")
    assert (northumberland.name, northumberland.la_code, northumberland.kind) == ("Northumberland", "929", "council")
    import_statistics()

    api = token_client(analyst)
    series = api.get(STATS, {"authority": "E06000057"}).json()["series"]
    assert [p["agency_rate"] for p in series if p["period_end"] == "2025-09-30"] == ["1.4"]
    england = api.get(STATS, {"authority": "E92000001"}).json()
    assert england["authority"] == "E92000001" and england["area_name"] == "England"
    assert [p["agency_rate"] for p in england["series"] if p["period_end"] == "2023-09-30"] == ["17.9"]
    region = api.get(STATS).json()
    assert region["area_name"] == "North East (12 authorities)"
    assert [p["agency_rate"] for p in region["series"] if p["period_end"] == "2025-09-30"] == ["8.2"]

    client.force_login(coordinator)
    page = client.get(reverse("workforce:trends")).content.decode()
    assert "<title>Workforce trends: North East (12 authorities) · North East Agency Protocol</title>" in page
    assert "West Midlands" in page  # offered for comparison, and only there
    assert page.count("West Midlands") == 1


def test_running_it_again_changes_nothing():
    setup_region("North East")
    region = Region.objects.get()
    ids = sorted(Authority.objects.values_list("id", flat=True))
    assert "already the North East (12 authorities): nothing changed" in setup_region("E12000001")
    assert Region.objects.get().set_up_at == region.set_up_at
    assert sorted(Authority.objects.values_list("id", flat=True)) == ids


def test_the_west_midlands_on_a_fresh_database_is_already_there():
    birmingham = authority("E08000025")
    assert "already the West Midlands (14 authorities): nothing changed" in setup_region("West Midlands")
    assert not Region.objects.exists()
    assert authority("E08000025").kind == birmingham.kind == "trust"  # the seed's, kept


def test_a_database_holding_another_regions_records_is_refused_saying_why(solihull):
    UserFactory(username="solihull", role=User.Role.COUNCIL, authority=solihull)
    import_statistics()
    with pytest.raises(CommandError) as refused:
        setup_region("London")
    message = str(refused.value)
    assert "holds records of the West Midlands" in message
    assert "126 official figures, 1 user)" in message
    assert "fresh database" in message
    assert Authority.objects.count() == 14 and not Region.objects.exists()


def test_an_unknown_region_is_refused():
    with pytest.raises(CommandError, match="No English region is called 'Wessex': one of North East, North West"):
        setup_region("Wessex")


def test_merged_rows_become_their_councils():
    setup_region("East Midlands")
    assert list(Authority.objects.filter(name__endswith="Northamptonshire").values_list("name", "code", "la_code")) == [
        ("North Northamptonshire", "E06000061", "940"),
        ("West Northamptonshire", "E06000062", "941"),
    ]


def test_london_is_inner_and_outer_london():
    setup_region("London")
    assert Authority.objects.count() == 33
    assert {"City of London", "Westminster", "Havering", "Kingston upon Thames", "Richmond upon Thames"} <= set(
        Authority.objects.values_list("name", flat=True)
    )


def test_emails_and_the_api_title_name_the_region(client, coordinator, django_capture_on_commit_callbacks):
    setup_region("South West")
    coordinator.email = "coordinator@example.org"
    coordinator.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": coordinator.email})
    [message] = mail.outbox
    assert message.subject == "Reset your password for the South West Agency Protocol"
    schema = client.get(reverse("api-schema")).content.decode()
    assert "title: South West agency MoU API" in schema


def test_the_region_is_read_from_the_database_when_not_remembered(django_assert_num_queries):
    Region.objects.create(code="E12000009", name="South West")
    remember_region(None)
    with django_assert_num_queries(1):
        assert deployment_region().name == "South West"
    with django_assert_num_queries(0):
        assert deployment_region().name == "South West"
    Region.objects.all().delete()
    remember_region(None)
    assert deployment_region() is WEST_MIDLANDS


def test_the_demo_is_the_west_midlands_and_says_so_elsewhere():
    setup_region("North East")
    with pytest.raises(CommandError, match="the demo is the West Midlands'; this deployment is set up for the North"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_an_area_has_official_figures_only_and_an_unknown_code_is_still_unknown(analyst):
    api = token_client(analyst)
    answer = api.get(STATS, {"authority": "E12000007", "source": "returns"})
    assert answer.status_code == 400
    assert answer.json() == {"authority": ["England and the regions have official figures only: use source=official."]}
    assert api.get(STATS, {"authority": "E12000010"}).json() == {"authority": ["unknown authority"]}
    london = api.get(STATS, {"authority": "E12000007"}).json()
    assert (london["authority"], london["area_name"], london["series"]) == ("E12000007", "London", [])


def test_a_region_set_up_by_mistake_is_replaced_while_nothing_names_its_authorities():
    setup_region("North East")
    assert "now London: 33 authorities" in setup_region("London")
    assert Region.objects.get().name == "London" and Authority.objects.count() == 33
