"""Records kept where their owners work: a council records permanent leavers and cap exceptions on pages (through the
API's services), an agency keeps its own contact details; nobody reaches another's."""

from datetime import date, timedelta

from django.utils import timezone

import pytest

from agencies.models import Agency
from compliance.models import Rejudge
from placements.models import CapException, PermanentLeaver
from tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db


def test_a_council_records_a_leaver_at_its_own_authority_and_the_audit_is_asked_to_judge_again(
    client, council_user, solihull
):
    client.force_login(council_user)
    page = client.get("/leavers/new/").content.decode()
    assert 'name="authority"' not in page  # a council records its own

    response = client.post(
        "/leavers/new/",
        {"worker_swe_number": "sw 654 321", "left_on": "2026-03-31", "reason": "resignation"},
        follow=True,
    )

    leaver = PermanentLeaver.objects.get()
    assert (leaver.authority, leaver.worker.swe_number, leaver.left_on) == (solihull, "SW654321", date(2026, 3, 31))
    assert leaver.recorded_by == council_user
    assert Rejudge.objects.filter(worker_id=leaver.worker_id).exists()
    page = response.content.decode()
    assert "Recorded: SW654321 left Solihull on 31 March 2026." in page
    assert "SW654321" in page.split("<table", 1)[1]


def test_a_leaver_form_with_mistakes_says_each_at_the_top_and_by_its_field_and_stores_nothing(client, council_user):
    client.force_login(council_user)
    response = client.post("/leavers/new/", {"worker_swe_number": "123", "left_on": "", "reason": ""})
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'href="#id_worker_swe_number"' in page and "looks like SW123456" in page
    assert 'href="#id_left_on"' in page and 'href="#id_reason"' in page
    assert response.context["form"].errors.keys() == {"worker_swe_number", "left_on", "reason"}
    assert not PermanentLeaver.objects.exists()


def test_the_same_leaver_twice_is_refused_beside_the_field_not_stored_twice(client, council_user):
    client.force_login(council_user)
    data = {"worker_swe_number": "SW654321", "left_on": "2026-03-31", "reason": "resignation"}
    client.post("/leavers/new/", data)
    response = client.post("/leavers/new/", data)
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert PermanentLeaver.objects.count() == 1


def test_leavers_are_councils_records_a_council_lists_its_own_an_agency_none(
    client, council_user, other_council_user, agency_user, coordinator, coventry
):
    client.force_login(coordinator)
    client.post(
        "/leavers/new/",
        {"authority": coventry.pk, "worker_swe_number": "SW777777", "left_on": "2026-01-05", "reason": "redundancy"},
        follow=True,
    )
    assert PermanentLeaver.objects.get().authority == coventry

    client.force_login(council_user)
    assert "SW777777" not in client.get("/leavers/").content.decode()
    client.force_login(other_council_user)
    assert "SW777777" in client.get("/leavers/").content.decode()
    client.force_login(agency_user)
    assert client.get("/leavers/").status_code == 403
    assert client.get("/leavers/new/").status_code == 403


def test_a_council_records_a_cap_exception_on_its_placement_from_the_placement_page(
    client, council_user, agency_a, solihull, coventry
):
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    elsewhere = PlacementFactory(agency=agency_a, authority=coventry)
    client.force_login(council_user)
    assert "Record a cap exception" in client.get(f"/placements/{placement.pk}/").content.decode()
    until = timezone.localdate() + timedelta(days=90)

    response = client.post(
        f"/placements/{placement.pk}/cap-exceptions/new/",
        {
            "signed_by_dcs": "A. Director",
            "signed_by_chief_executive": "B. Chief",
            "reason": "Court work backlog",
            "valid_until": until.isoformat(),
        },
        follow=True,
    )

    exception = CapException.objects.get()
    assert (exception.placement, exception.valid_from, exception.valid_until) == (
        placement,
        timezone.localdate(),
        until,
    )
    page = response.content.decode()
    assert "Cap exception recorded" in page and "Court work backlog" in page
    assert client.get(f"/placements/{elsewhere.pk}/cap-exceptions/new/").status_code == 404


def test_a_cap_exception_ending_before_it_starts_is_refused_by_its_field(client, coordinator, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(coordinator)
    response = client.post(
        f"/placements/{placement.pk}/cap-exceptions/new/",
        {
            "signed_by_dcs": "A",
            "signed_by_chief_executive": "B",
            "reason": "R",
            "valid_from": "2026-05-01",
            "valid_until": "2026-04-01",
        },
    )
    assert "The exception would end before it starts" in response.content.decode()
    assert not CapException.objects.exists()


def test_an_agency_cannot_record_a_cap_exception_on_its_own_placement(client, agency_user, agency_a):
    placement = PlacementFactory(agency=agency_a)
    client.force_login(agency_user)
    assert "Record a cap exception" not in client.get(f"/placements/{placement.pk}/").content.decode()
    assert client.get(f"/placements/{placement.pk}/cap-exceptions/new/").status_code == 403


def test_an_agency_keeps_its_own_contact_details_but_not_anothers(client, agency_user, agency_a, agency_b):
    client.force_login(agency_user)
    assert "Change the contact details" in client.get(f"/agencies/{agency_a.pk}/").content.decode()
    response = client.post(
        f"/agencies/{agency_a.pk}/details/",
        {
            "contact_name": "Pat Jones",
            "contact_email": "mou@alpha.example",
            "contact_phone": "0121 496 0000",
            "address": "1 High Street\nSolihull",
            "standing": "approved",  # not a field of the form: ignored, the standing is the coordinator's
        },
        follow=True,
    )
    agency_a.refresh_from_db()
    assert (agency_a.contact_name, agency_a.contact_email, agency_a.contact_phone) == (
        "Pat Jones",
        "mou@alpha.example",
        "0121 496 0000",
    )
    assert "Your agency&#x27;s details are saved." in response.content.decode()
    assert client.get(f"/agencies/{agency_b.pk}/details/").status_code == 404
    assert client.post(f"/agencies/{agency_b.pk}/details/", {"contact_name": "X"}).status_code == 404
    assert Agency.objects.get(pk=agency_b.pk).contact_name == ""


def test_a_bad_email_is_refused_by_its_field(client, agency_user, agency_a):
    client.force_login(agency_user)
    response = client.post(f"/agencies/{agency_a.pk}/details/", {"contact_email": "not an address"})
    assert 'href="#id_contact_email"' in response.content.decode()
    agency_a.refresh_from_db()
    assert agency_a.contact_email == ""


def test_a_council_reads_an_agencys_contact_details_and_links_to_its_records_but_cannot_change_them(
    client, council_user, agency_a
):
    client.force_login(council_user)
    page = client.get(f"/agencies/{agency_a.pk}/").content.decode()
    assert "Contact details" in page and "Change the contact details" not in page
    assert f"/breaches/?agency={agency_a.pk}&amp;status=unresolved" in page
    assert client.get(f"/agencies/{agency_a.pk}/details/").status_code == 404
