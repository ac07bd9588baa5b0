"""The coordinator's writes to the reference resources (SPEC §7): agencies, roles and MoU versions with their caps,
and bringing a draft into force; everyone else gets 403."""

from datetime import date, timedelta

from django.apps import apps
from django.utils import timezone

import pytest

from agencies.models import Agency
from mou.models import Cap, MouVersion, Role
from tests.api.test_reference_api import token_client
from tests.factories import AgencyFactory, CapFactory, MouVersionFactory, role

pytestmark = pytest.mark.django_db

Status = MouVersion.Status
TODAY = date.today()


# --- agencies


def test_the_coordinator_adds_an_agency_and_its_standing_starts_approved(coordinator):
    body = {"name": "Gamma Care Ltd", "company_number": "sc123456", "is_msp": False, "mou_signed_on": "2025-01-15"}
    response = token_client(coordinator).post("/api/v1/agencies/", body, format="json")
    assert response.status_code == 201
    agency = Agency.objects.get(name="Gamma Care Ltd")
    assert response.json() == {
        "id": agency.pk,
        "name": "Gamma Care Ltd",
        "company_number": "SC123456",
        "standing": "approved",
        "is_msp": False,
        "supplied_through": None,
        "mou_signed_on": "2025-01-15",
    }


def test_standing_cannot_be_set_through_the_agency(coordinator, agency_a):
    # A 400 naming it, and the rest of the PATCH is not applied either (it was a silent 200 before issue 17).
    response = token_client(coordinator).patch(
        f"/api/v1/agencies/{agency_a.pk}/", {"standing": "suspended", "mou_signed_on": "2016-02-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"standing": ["This field is read-only."]}
    agency_a.refresh_from_db()
    assert (agency_a.standing, agency_a.mou_signed_on) == ("approved", date(2015, 1, 1))


def test_an_agency_is_refused_a_bad_company_number_a_taken_name_and_a_non_msp_supplier(coordinator, agency_a, agency_b):
    client = token_client(coordinator)
    response = client.post(
        "/api/v1/agencies/",
        {"name": "alpha locums ltd", "company_number": "12AB", "supplied_through": agency_b.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "name": ["There is already an agency of that name."],
        "company_number": ["A Companies House number: 8 digits, or 2 letters and 6 digits (e.g. SC123456)."],
    }
    response = client.patch(f"/api/v1/agencies/{agency_a.pk}/", {"supplied_through": agency_b.pk}, format="json")
    assert response.json() == {
        "supplied_through": ["Beta Social Care Staffing Ltd is not a managed service provider (is_msp)."]
    }
    assert Agency.objects.count() == 2


def test_an_msp_with_second_tier_agencies_stays_an_msp(coordinator):
    msp = AgencyFactory(name="Hub MSP", is_msp=True)
    AgencyFactory(name="Tier Two", supplied_through=msp)
    response = token_client(coordinator).patch(f"/api/v1/agencies/{msp.pk}/", {"is_msp": False}, format="json")
    assert response.status_code == 400
    assert response.json() == {"is_msp": ["Agencies supply through this one: it stays a managed service provider."]}


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_writes_agencies(request, persona, agency_a):
    client = token_client(request.getfixturevalue(persona))
    assert (
        client.post("/api/v1/agencies/", {"name": "X", "company_number": "00000009"}, format="json").status_code == 403
    )
    assert client.patch(f"/api/v1/agencies/{agency_a.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert Agency.objects.get(pk=agency_a.pk).name == "Alpha Locums Ltd"


def test_agencies_filter_by_standing_and_name(council_user, agency_a, agency_b):
    Agency.objects.filter(pk=agency_b.pk).update(standing="suspended")
    client = token_client(council_user)
    assert [a["id"] for a in client.get("/api/v1/agencies/?standing=suspended").json()["results"]] == [agency_b.pk]
    assert [a["id"] for a in client.get("/api/v1/agencies/?name=alpha").json()["results"]] == [agency_a.pk]
    assert client.get("/api/v1/agencies/?standing=asleep").json() == {
        "standing": ["Select a valid choice. asleep is not one of the available choices."]
    }


# --- roles


def test_the_coordinator_adds_a_role_and_renames_it_but_its_code_is_fixed(coordinator):
    client = token_client(coordinator)
    response = client.post("/api/v1/roles/", {"code": "PE", "name": "Practice educator", "capped": True}, format="json")
    assert response.status_code == 201
    assert response.json() == {"code": "PE", "name": "Practice educator", "capped": True}
    response = client.patch("/api/v1/roles/PE/", {"name": "Practice educator (ASYE)", "capped": False}, format="json")
    assert response.json() == {"code": "PE", "name": "Practice educator (ASYE)", "capped": False}
    response = client.patch("/api/v1/roles/PE/", {"code": "PX"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": ["A role's code never changes: caps and placements refer to it."]}
    assert Role.objects.filter(code="PE").exists() and not Role.objects.filter(code="PX").exists()


def test_a_role_code_is_refused_when_taken_or_not_a_code(coordinator):
    client = token_client(coordinator)
    assert client.post("/api/v1/roles/", {"code": "sw", "name": "Again"}, format="json").json() == {
        "code": ["Capital letters and digits, starting with a letter, e.g. SW."]
    }
    assert client.post("/api/v1/roles/", {"code": "SW", "name": "Again"}, format="json").json() == {
        "code": ["There is already a role SW."]
    }


def test_a_council_cannot_write_roles(council_user):
    client = token_client(council_user)
    assert client.post("/api/v1/roles/", {"code": "PE", "name": "X"}, format="json").status_code == 403
    assert client.patch("/api/v1/roles/SW/", {"name": "X"}, format="json").status_code == 403
    assert Role.objects.get(code="SW").name != "X"


# --- MoU versions


def in_force(effective_from=date(2025, 4, 1), name="April 2025"):
    version = MouVersionFactory(name=name, effective_from=effective_from, status=Status.IN_FORCE)
    CapFactory(version=version, role=role("SW"), max_pay_rate="32.00", max_charge_rate="42.00")
    return version


DRAFT = {
    "name": "Next year",
    "effective_from": (TODAY + timedelta(days=30)).isoformat(),
    "cooling_off_months": 12,
    "min_experience_years": 3,
    "caps": [
        {"role": "SW", "engagement_type": None, "max_pay_rate": "33.00", "max_charge_rate": "44.00"},
        {"role": "SW", "engagement_type": "limited", "max_pay_rate": "35.50", "max_charge_rate": None},
    ],
}


def test_the_coordinator_drafts_a_version_with_its_caps(coordinator):
    response = token_client(coordinator).post("/api/v1/mou-versions/", DRAFT, format="json")
    assert response.status_code == 201
    version = MouVersion.objects.get(name="Next year")
    assert response.json() == {
        "id": version.pk,
        "name": "Next year",
        "effective_from": DRAFT["effective_from"],
        "binds_existing_from": DRAFT["effective_from"],
        "status": "draft",
        "cooling_off_months": 12,
        "min_experience_years": 3,
        "cap_basis": "pay",
        "min_references": 0,
        "notes": "",
        "caps": [
            {"role": "SW", "engagement_type": None, "max_pay_rate": "33.00", "max_charge_rate": "44.00"},
            {"role": "SW", "engagement_type": "limited", "max_pay_rate": "35.50", "max_charge_rate": None},
        ],
    }


def test_a_cap_that_omits_its_engagement_type_caps_any_engagement_type(coordinator):
    """SPEC §7: `engagement_type (null or omitted = any)`: a region's old versions named no engagement type."""
    caps = [{"role": "SW", "max_pay_rate": "22.50", "max_charge_rate": None}]
    response = token_client(coordinator).post("/api/v1/mou-versions/", {**DRAFT, "caps": caps}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["caps"] == [
        {"role": "SW", "engagement_type": None, "max_pay_rate": "22.50", "max_charge_rate": None}
    ]
    assert list(MouVersion.objects.get(name="Next year").caps.values_list("engagement_type", flat=True)) == [None]


def test_a_draft_with_bad_caps_is_refused_whole(coordinator):
    caps = [
        {"role": "SM", "engagement_type": None, "max_pay_rate": "50.00", "max_charge_rate": None},
        {"role": "SW", "engagement_type": None, "max_pay_rate": "33.00", "max_charge_rate": "30.00"},
        {"role": "XX", "engagement_type": None, "max_pay_rate": "-1", "max_charge_rate": None},
    ]
    response = token_client(coordinator).post("/api/v1/mou-versions/", {**DRAFT, "caps": caps}, format="json")
    assert response.status_code == 400
    # DRF names the bad elements of a list by their index.
    assert response.json() == {
        "caps": {"2": {"role": ["unknown role"], "max_pay_rate": ["Ensure this value is greater than or equal to 0."]}}
    }
    response = token_client(coordinator).post("/api/v1/mou-versions/", {**DRAFT, "caps": caps[:2]}, format="json")
    assert response.json() == {
        "caps": [
            "cap 1 (SM, any engagement type): SM is above team manager level, outside the MoU: it has no cap.",
            "cap 2 (SW, any engagement type): the charge-rate cap is below the pay-rate cap.",
        ]
    }
    assert not MouVersion.objects.exists()


def test_editing_a_draft_replaces_its_caps_wholesale(coordinator):
    client = token_client(coordinator)
    version_id = client.post("/api/v1/mou-versions/", DRAFT, format="json").json()["id"]
    caps = [{"role": "TM", "engagement_type": None, "max_pay_rate": "40.00", "max_charge_rate": "52.00"}]
    response = client.patch(f"/api/v1/mou-versions/{version_id}/", {"caps": caps, "notes": "Agreed"}, format="json")
    assert response.status_code == 200
    assert response.json()["caps"] == caps
    assert response.json()["notes"] == "Agreed"
    assert list(Cap.objects.filter(version_id=version_id).values_list("role__code", flat=True)) == ["TM"]
    # Leaving caps out keeps them.
    client.patch(f"/api/v1/mou-versions/{version_id}/", {"name": "Renamed"}, format="json")
    assert Cap.objects.filter(version_id=version_id).count() == 1


def test_a_published_version_is_never_edited(coordinator):
    version = in_force()
    response = token_client(coordinator).patch(
        f"/api/v1/mou-versions/{version.pk}/",
        {"caps": [{"role": "SW", "engagement_type": None, "max_pay_rate": "99.00", "max_charge_rate": None}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "April 2025 is in force: a version that has been in force never changes (history is never rewritten). "
            "Draft a new version instead."
        ]
    }
    assert Cap.objects.get(version=version).max_pay_rate == 32


def test_bringing_a_draft_into_force_supersedes_the_version_in_force(coordinator):
    old = in_force()
    client = token_client(coordinator)
    takes_effect_today = {**DRAFT, "effective_from": timezone.localdate().isoformat()}
    draft_id = client.post("/api/v1/mou-versions/", takes_effect_today, format="json").json()["id"]
    response = client.post(f"/api/v1/mou-versions/{draft_id}/bring-into-force/")
    assert response.status_code == 200
    assert response.json()["status"] == "in_force"
    old.refresh_from_db()
    assert old.status == "superseded"
    assert list(MouVersion.objects.filter(status="in_force").values_list("pk", flat=True)) == [draft_id]
    # Both changes are in the versions' history, as the coordinator's.
    events = apps.get_model("mou", "MouVersionEvent").objects.filter(pgh_obj__in=[old.pk, draft_id])
    changed = events.filter(status__in=["in_force", "superseded"], pgh_label="update").select_related("pgh_context")
    assert sorted((e.pgh_obj_id, e.status, e.pgh_context.metadata["user"]) for e in changed) == sorted(
        [(old.pk, "superseded", coordinator.pk), (draft_id, "in_force", coordinator.pk)]
    )


IN_A_MONTH = TODAY + timedelta(days=30)


@pytest.mark.parametrize(
    ("in_force_from", "binds_existing_from", "draft_from", "caps", "message"),
    [
        # Exactly one version binds any day of work.
        (IN_A_MONTH, None, IN_A_MONTH, 1, "Current (in force) already takes effect on"),
        (date(2025, 4, 1), None, IN_A_MONTH, 0, "Next year has no caps: give it its caps before adopting it."),
        # Current binds existing placements only from 1 July: a version in between would contradict it.
        (
            date(2025, 4, 1),
            date(2025, 7, 1),
            date(2025, 5, 1),
            1,
            "Current binds existing placements only from 1 July 2025, after Next year would take effect",
        ),
    ],
)
def test_adopting_is_refused_where_two_versions_would_bind_one_day(
    coordinator, in_force_from, binds_existing_from, draft_from, caps, message
):
    old = in_force(effective_from=in_force_from, name="Current")
    if binds_existing_from:
        MouVersion.objects.filter(pk=old.pk).update(binds_existing_from=binds_existing_from)
    version = MouVersionFactory(name="Next year", effective_from=draft_from, status=Status.DRAFT)
    CapFactory.create_batch(caps, version=version)
    response = token_client(coordinator).post(f"/api/v1/mou-versions/{version.pk}/bring-into-force/")
    assert response.status_code == 400
    assert message in response.json()["non_field_errors"][0]
    old.refresh_from_db()
    version.refresh_from_db()
    assert (old.status, version.status) == ("in_force", "draft")


def test_a_past_version_binding_existing_placements_after_the_next_one_starts_is_refused(coordinator):
    in_force(effective_from=date(2025, 4, 1), name="Current")
    version = MouVersionFactory(
        name="2024", effective_from=date(2024, 4, 1), binds_existing_from=date(2025, 6, 1), status=Status.DRAFT
    )
    CapFactory(version=version)
    response = token_client(coordinator).post(f"/api/v1/mou-versions/{version.pk}/bring-into-force/")
    assert response.status_code == 400
    assert response.json() == {
        "binds_existing_from": [
            "2024 would bind existing placements from 1 June 2025, but Current takes effect on 1 April 2025: its "
            "dates contradict the published ones. Bind existing placements from a date before 1 April 2025."
        ]
    }
    assert MouVersion.objects.get(pk=version.pk).status == "draft"


def test_a_published_version_cannot_be_brought_into_force_again(coordinator):
    old = in_force()
    response = token_client(coordinator).post(f"/api/v1/mou-versions/{old.pk}/bring-into-force/")
    assert response.json() == {"non_field_errors": ["April 2025 is already in force: only a draft can be adopted."]}


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_drafts_edits_and_brings_into_force(request, persona, coordinator):
    draft = MouVersionFactory(name="Draft", effective_from=TODAY + timedelta(days=10), status=Status.DRAFT)
    CapFactory(version=draft)
    client = token_client(request.getfixturevalue(persona))
    assert client.post("/api/v1/mou-versions/", DRAFT, format="json").status_code == 403
    # A council or agency cannot see a draft, but the role check answers first: 403 either way.
    assert client.patch(f"/api/v1/mou-versions/{draft.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/mou-versions/{draft.pk}/bring-into-force/").status_code == 403
    draft.refresh_from_db()
    assert (draft.status, draft.notes) == ("draft", "")


def test_mou_versions_filter_by_status_and_effective_dates(analyst):
    in_force()
    MouVersionFactory(name="2015", effective_from=date(2015, 1, 1))
    client = token_client(analyst)
    names = lambda query: [v["name"] for v in client.get(f"/api/v1/mou-versions/?{query}").json()["results"]]  # noqa: E731
    assert names("status=superseded") == ["2015"]
    assert names("effective_from_after=2020-01-01") == ["April 2025"]
    assert names("effective_from_before=2020-01-01") == ["2015"]
    assert client.get("/api/v1/mou-versions/?effective_from_after=soon").status_code == 400
