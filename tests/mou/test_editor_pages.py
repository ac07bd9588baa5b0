"""The coordinator's MoU editor (SPEC §5): start a draft from the version in force, edit its caps as one grid, read
its what-if on the same page, adopt it after a page that says exactly what will happen. Only the coordinator."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

import pytest

from mou.models import Cap, MouVersion
from tests.factories import CapFactory, MouVersionFactory, PlacementFactory, role

pytestmark = pytest.mark.django_db

Status = MouVersion.Status


@pytest.fixture
def in_force():
    version = MouVersionFactory(name="April 2025", effective_from=date(2025, 4, 1), status=Status.IN_FORCE)
    CapFactory(version=version, role=role("SW"), max_pay_rate=Decimal("32.00"), max_charge_rate=Decimal("42.00"))
    CapFactory(version=version, role=role("SW"), engagement_type="limited", max_pay_rate=Decimal("34.00"))
    return version


def grid_post(version_fields, caps):
    """A POST of the editor: the version's fields, and every cell of the grid (empty unless given)."""
    from mou.forms import CapGridForm

    data = {**version_fields}
    for name in CapGridForm().fields:
        data[name] = caps.get(name, "")
    return data


FIELDS = {
    "name": "April 2027",
    "effective_from": "2027-04-01",
    "binds_existing_from": "",
    "cooling_off_months": "12",
    "min_experience_years": "3",
    "min_references": "2",
    "cap_basis": "pay",
    "notes": "Agreed by the board",
}


def test_a_draft_started_from_the_version_in_force_copies_its_terms_and_caps(client, coordinator, in_force):
    client.force_login(coordinator)
    response = client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    assert response.status_code == 302 and response.url == f"/mou-versions/{draft.pk}/edit/"
    assert draft.name == "Draft from April 2025"
    copied = {"engagement_type", "max_pay_rate", "max_charge_rate"}
    assert set(draft.caps.values_list(*copied)) == set(in_force.caps.values_list(*copied))
    first_of_next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    assert draft.effective_from == first_of_next_month

    page = client.get(f"/mou-versions/{draft.pk}/edit/").content.decode()
    # The grid holds the caps where they belong: SW any engagement £32.00 / £42.00, limited £34.00.
    assert 'name="cap-SW-any-pay" value="32.00"' in page
    assert 'name="cap-SW-any-charge" value="42.00"' in page
    assert 'name="cap-SW-limited-pay" value="34.00"' in page
    assert "What-if: placements running today against this draft" in page


def test_editing_a_cap_in_the_grid_saves_the_draft_and_its_what_if_follows(client, coordinator, in_force):
    PlacementFactory(start_date=date(2025, 6, 2), pay_rate="31.00", charge_rate="40.00")
    client.force_login(coordinator)
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    caps = {"cap-SW-any-pay": "30.00", "cap-SW-any-charge": "40.00", "cap-TM-paye-pay": "45.50"}
    response = client.post(f"/mou-versions/{draft.pk}/edit/", grid_post(FIELDS, caps))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.effective_from, draft.binds_existing_from, draft.min_experience_years) == (
        "April 2027",
        date(2027, 4, 1),
        date(2027, 4, 1),
        3,
    )
    assert sorted(Cap.objects.filter(version=draft).values_list("role__code", "engagement_type", "max_pay_rate")) == [
        ("SW", None, Decimal("30.00")),
        ("TM", "paye", Decimal("45.50")),
    ]
    page = client.get(f"/mou-versions/{draft.pk}/edit/").content.decode()
    # The placement paid £31.00 is within the caps in force (£32.00) and above the draft's (£30.00).
    assert '<div class="figure">1</div><div class="label">would be above this draft' in page


def test_a_bad_grid_is_refused_whole_with_each_error_by_its_cell_and_in_the_summary(client, coordinator, in_force):
    client.force_login(coordinator)
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    before = sorted(draft.caps.values_list("max_pay_rate", flat=True))
    caps = {"cap-SW-any-pay": "30.00", "cap-SW-any-charge": "25.00", "cap-TM-any-charge": "50", "cap-SSW-any-pay": "x"}
    response = client.post(f"/mou-versions/{draft.pk}/edit/", grid_post(FIELDS, caps))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert (
        '<a href="#id_cap-SW-any-charge">SW – Social worker, any engagement type: charge cap £/h: The charge cap is '
        "below the pay cap (£30.00).</a>" in page
    )
    assert (
        '<a href="#id_cap-TM-any-pay">TM – Team manager, any engagement type: pay cap £/h: Give the pay cap beside '
        "the charge cap.</a>" in page
    )
    assert (
        '<a href="#id_cap-SSW-any-pay">SSW – Senior social worker, any engagement type: pay cap £/h: Enter a '
        "number.</a>" in page
    )
    assert sorted(draft.caps.values_list("max_pay_rate", flat=True)) == before
    assert MouVersion.objects.get(pk=draft.pk).name == draft.name


def test_a_taken_name_is_refused_by_its_field(client, coordinator, in_force):
    client.force_login(coordinator)
    response = client.post("/mou-versions/new/", grid_post({**FIELDS, "name": "april 2025"}, {"cap-SW-any-pay": "30"}))
    assert response.status_code == 400
    assert '<a href="#id_name">Name: There is already a version named april 2025.</a>' in response.content.decode()
    assert MouVersion.objects.count() == 1


def test_adopting_says_what_will_happen_then_schedules_a_later_version(client, coordinator, in_force):
    client.force_login(coordinator)
    client.post("/mou-versions/new/", grid_post(FIELDS, {"cap-SW-any-pay": "30.00"}))
    draft = MouVersion.objects.get(status=Status.DRAFT)
    page = client.get(f"/mou-versions/{draft.pk}/adopt/").content.decode()
    assert "Scheduled for 1 April 2027." in page
    assert "No work already recorded falls in the days it binds." in page
    assert MouVersion.objects.get(pk=draft.pk).status == "draft"  # reading the page changes nothing

    response = client.post(f"/mou-versions/{draft.pk}/adopt/", {"reason": "Agreed by the board"}, follow=True)
    assert MouVersion.objects.get(pk=draft.pk).status == "scheduled"
    page = response.content.decode()
    assert "April 2027 is scheduled: it binds work from 1 April 2027 and comes into force that day by itself." in page
    assert 'id="scheduled-title">Scheduled</h2>' in page


def test_a_version_for_the_past_says_how_much_recorded_work_it_re_judges(client, coordinator, in_force):
    from tests.compliance.test_audit import work

    placement = PlacementFactory(start_date=date(2024, 6, 3), pay_rate="31.00", charge_rate="40.00")
    for day in range(3):
        work(placement, date(2024, 6, 3) + timedelta(days=day))
    client.force_login(coordinator)
    fields = {**FIELDS, "name": "April 2024", "effective_from": "2024-04-01"}
    client.post("/mou-versions/new/", grid_post(fields, {"cap-SW-any-pay": "30.00"}))
    draft = MouVersion.objects.get(status=Status.DRAFT)
    page = client.get(f"/mou-versions/{draft.pk}/adopt/").content.decode()
    assert "Recorded for the past." in page
    assert "3 timesheet lines and 1 placement already recorded fall in the days it binds" in page


def test_a_draft_that_cannot_be_adopted_says_why_and_offers_to_change_it(client, coordinator, in_force):
    client.force_login(coordinator)
    client.post("/mou-versions/new/", grid_post({**FIELDS, "effective_from": "2025-04-01"}, {"cap-SW-any-pay": "1"}))
    draft = MouVersion.objects.get(status=Status.DRAFT)
    response = client.get(f"/mou-versions/{draft.pk}/adopt/")
    assert response.status_code == 400
    assert "April 2025 (in force) already takes effect on 1 April 2025" in response.content.decode()
    assert client.post(f"/mou-versions/{draft.pk}/adopt/").status_code == 400
    assert MouVersion.objects.get(pk=draft.pk).status == "draft"


def test_an_adopted_version_is_not_editable(client, coordinator, in_force):
    client.force_login(coordinator)
    response = client.get(f"/mou-versions/{in_force.pk}/edit/")
    assert response.status_code == 302 and response.url.endswith(f"#version-{in_force.pk}")


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_edits_and_adopts(request, client, persona, in_force):
    draft = MouVersionFactory(name="Draft", effective_from=date(2027, 4, 1), status=Status.DRAFT)
    CapFactory(version=draft)
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/mou-versions/new/").status_code == 403
    assert client.post("/mou-versions/new-from-current/").status_code == 403
    assert client.get(f"/mou-versions/{draft.pk}/edit/").status_code == 403
    assert client.post(f"/mou-versions/{draft.pk}/adopt/").status_code == 403
    assert MouVersion.objects.get(pk=draft.pk).status == "draft"
    assert MouVersion.objects.count() == 2
    assert "Start a draft from" not in client.get("/mou-versions/").content.decode()


def test_a_draft_is_discarded_after_a_page_that_asks_and_an_adopted_version_never_is(client, coordinator, in_force):
    client.force_login(coordinator)
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    assert "This cannot be undone." in client.get(f"/mou-versions/{draft.pk}/discard/").content.decode()
    assert MouVersion.objects.filter(pk=draft.pk).exists()
    response = client.post(f"/mou-versions/{draft.pk}/discard/", follow=True)
    assert f"The draft “{draft.name}” is discarded." in response.content.decode()
    assert not MouVersion.objects.filter(pk=draft.pk).exists()
    assert not Cap.objects.filter(version_id=draft.pk).exists()

    client.post(f"/mou-versions/{in_force.pk}/discard/")
    assert MouVersion.objects.filter(pk=in_force.pk).exists()


def test_moving_the_effective_date_moves_an_unchanged_binding_date_with_it(client, coordinator, in_force):
    client.force_login(coordinator)
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    fields = {**FIELDS, "binds_existing_from": draft.binds_existing_from.isoformat()}
    response = client.post(f"/mou-versions/{draft.pk}/edit/", grid_post(fields, {"cap-SW-any-pay": "30.00"}))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.effective_from, draft.binds_existing_from) == (date(2027, 4, 1), date(2027, 4, 1))


def test_save_and_adopt_saves_what_is_on_the_screen_first(client, coordinator, in_force):
    """Pressing adopt with an edit not yet saved once threw the edit away and adopted the stored caps."""
    client.force_login(coordinator)
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    response = client.post(
        f"/mou-versions/{draft.pk}/edit/", {**grid_post(FIELDS, {"cap-SW-any-pay": "29.00"}), "adopt": "1"}
    )
    assert response.status_code == 302 and response.url == f"/mou-versions/{draft.pk}/adopt/"
    assert list(draft.caps.values_list("max_pay_rate", flat=True)) == [Decimal("29.00")]
    page = client.get(response.url).content.decode()
    assert "The caps it adopts" in page and "29.00" in page


def test_a_new_draft_starts_from_the_latest_adopted_version_not_undoing_a_scheduled_one(client, coordinator, in_force):
    scheduled = MouVersionFactory(name="April 2027", effective_from=date(2027, 4, 1), status=Status.SCHEDULED)
    CapFactory(version=scheduled, role=role("SW"), max_pay_rate=Decimal("24.00"))
    client.force_login(coordinator)
    assert "Start a draft from April 2027" in client.get("/mou-versions/").content.decode()
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    assert list(draft.caps.values_list("max_pay_rate", flat=True)) == [Decimal("24.00")]


def test_the_history_shows_what_a_save_changed_and_why_a_version_was_adopted(client, coordinator, in_force):
    from django.apps import apps

    client.force_login(coordinator)
    client.post("/mou-versions/new-from-current/")
    draft = MouVersion.objects.get(status=Status.DRAFT)
    CapEvent = apps.get_model("mou", "CapEvent")
    before = CapEvent.objects.count()
    caps = {
        "cap-SW-any-pay": "31.00",
        "cap-SW-any-charge": "42.00",
        "cap-SW-limited-pay": "34.00",
        "cap-SW-limited-charge": "40.00",
    }
    client.post(f"/mou-versions/{draft.pk}/edit/", grid_post({**FIELDS, "effective_from": "2027-04-01"}, caps))
    # One cap changed (SW any: £32.00 → £31.00): one event, not every cap created again.
    assert list(CapEvent.objects.filter(pgh_id__gt=0).order_by("pgh_id").values_list("pgh_label", "max_pay_rate"))[
        before:
    ] == [("update", Decimal("31.00"))]
    client.post(f"/mou-versions/{draft.pk}/adopt/", {"reason": "Agreed by the regional board"})
    page = client.get(f"/history/mou/mouversion/{draft.pk}/").content.decode()
    assert "(Version scheduled: Agreed by the regional board)" in page
