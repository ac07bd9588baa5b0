"""The agency and suspension pages: every agency's standing, an agency's page with its standing history, and the
coordinator's suspend, lift and remove."""

import html
import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

import pytest

from agencies.models import Agency, Suspension
from agencies.services import agency_standing_sync
from compliance.models import Breach
from compliance.suspensions import agency_suspend
from tests.factories import AgencyFactory, BreachFactory, PlacementFactory, SuspensionFactory

pytestmark = pytest.mark.django_db

REASON = "Charged above the cap on three placements after a written warning."


def today():
    return timezone.localdate()


def days(n):
    return today() + timedelta(days=n)


def text(response):
    """A page's text as a reader sees it: tags dropped, entities decoded, spaces squeezed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def suspend(agency, by, **overrides):
    values = {"kind": "temporary", "starts_on": today(), "ends_on": days(90), "reason": REASON}
    return agency_suspend(agency=agency, by=by, **{**values, **overrides})


# --- The agency list


def test_a_council_sees_every_agencys_standing_and_suspension(client, coordinator, council_user, agency_a, agency_b):
    suspend(agency_a, coordinator, ends_on=days(30))
    client.force_login(council_user)
    response = client.get("/agencies/")
    assert response.status_code == 200
    rows = [(a.name, a.standing) for a in response.context["page"].object_list]
    assert rows == [("Alpha Locums Ltd", "suspended"), ("Beta Social Care Staffing Ltd", "approved")]
    assert f"Temporary, since {today():%-d %b %Y} until {days(30):%-d %b %Y}" in text(response)


def test_an_agency_sees_only_itself_in_the_list(client, agency_user, agency_a, agency_b):
    client.force_login(agency_user)
    response = client.get("/agencies/")
    assert [a.name for a in response.context["page"].object_list] == ["Alpha Locums Ltd"]
    assert "Beta Social Care" not in response.content.decode()


def test_the_list_filters_by_standing_and_shows_msps_and_second_tier(client, analyst, agency_a):
    msp = AgencyFactory(name="Midlands MSP Ltd", is_msp=True)
    AgencyFactory(name="Tier Two Ltd", supplied_through=msp)
    AgencyFactory(name="Gone Ltd", standing=Agency.Standing.REMOVED)
    client.force_login(analyst)
    page = text(client.get("/agencies/"))
    assert "Managed service provider (1 second-tier)" in page
    assert "Second tier, through Midlands MSP Ltd" in page
    response = client.get("/agencies/?standing=removed")
    assert [a.name for a in response.context["page"].object_list] == ["Gone Ltd"]


def test_the_agency_list_makes_the_same_queries_for_1_or_6_agencies(
    client, coordinator, agency_a, django_assert_num_queries
):
    suspend(agency_a, coordinator)
    client.force_login(coordinator)
    # 1 SAVEPOINT (ATOMIC_REQUESTS), 2 session, 3 user, 4 count for the paginator, 5 the page of agencies with
    # their MSP joined and second-tier count, 6 their current and coming suspensions, 7 RELEASE SAVEPOINT.
    with django_assert_num_queries(7):
        client.get("/agencies/")
    for n in range(5):
        suspend(AgencyFactory(), coordinator, starts_on=days(n + 1), ends_on=days(n + 10))
    with django_assert_num_queries(7):
        response = client.get("/agencies/")
    assert len(response.context["page"].object_list) == 6


# --- An agency's page


def test_an_agency_gets_404_for_another_agencys_page(client, agency_user, agency_a, agency_b):
    client.force_login(agency_user)
    assert client.get(f"/agencies/{agency_a.pk}/").status_code == 200
    assert client.get(f"/agencies/{agency_b.pk}/").status_code == 404


def test_a_council_reads_any_agencys_page_without_the_coordinators_actions(client, council_user, agency_b):
    client.force_login(council_user)
    page = client.get(f"/agencies/{agency_b.pk}/").content.decode()
    assert "Standing:" in page
    assert f"/agencies/{agency_b.pk}/suspend/" not in page
    assert f"/agencies/{agency_b.pk}/remove/" not in page


# Transactional: each request commits, so its history events carry their own time (inside one test transaction
# every event would share the transaction's start time).
@pytest.mark.django_db(transaction=True)
def test_the_standing_history_lists_imposed_and_lifted_with_who_and_why(client, coordinator, agency_a):
    client.force_login(coordinator)
    response = client.post(
        f"/agencies/{agency_a.pk}/suspend/",
        {"kind": "ongoing", "starts_on": today().isoformat(), "ends_on": "", "reason": REASON, "confirm": "1"},
    )
    assert response.status_code == 302
    suspension = Suspension.objects.get()
    response = client.post(
        f"/suspensions/{suspension.pk}/lift/", {"lift_reason": "Repaid the excess.", "lifted_on": ""}
    )
    assert response["Location"] == f"/agencies/{agency_a.pk}/"
    response = client.get(f"/agencies/{agency_a.pk}/")
    history = [(e.what, e.who, e.why) for e in response.context["history"]]
    assert history == [
        ("Standing suspended → approved", "coordinator", "Repaid the excess."),
        (f"Ongoing suspension lifted from {today():%-d %B %Y}", "coordinator", "Repaid the excess."),
        ("Standing approved → suspended", "coordinator", REASON),
        (f"Ongoing suspension imposed, from {today():%-d %B %Y} until lifted", "coordinator", REASON),
        ("Listed under the MoU, standing approved", "—", ""),
    ]
    page = text(response)
    assert f"Ongoing suspension lifted from {today():%-d %B %Y} coordinator Repaid the excess." in page


def test_the_history_says_a_temporary_suspension_ended_on_its_date_by_itself(client, coordinator, agency_a):
    SuspensionFactory(
        agency=agency_a, kind="temporary", starts_on=days(-30), ends_on=today(), reason=REASON, imposed_by=coordinator
    )
    Agency.objects.filter(pk=agency_a.pk).update(standing=Agency.Standing.SUSPENDED)
    agency_standing_sync(today=today())
    client.force_login(coordinator)
    history = [(e.what, e.who, e.why) for e in client.get(f"/agencies/{agency_a.pk}/").context["history"]]
    automatic = "Automatic (daily standing check)"
    assert history[0] == ("Standing suspended → approved", automatic, "No suspension is in effect any more.")
    assert (f"Temporary suspension ended on its date, {today():%-d %B %Y}", automatic, "") in history


def test_the_agency_page_makes_the_same_queries_whatever_its_history(
    client, coordinator, agency_a, django_assert_num_queries
):
    suspend(agency_a, coordinator, ends_on=days(5))
    client.force_login(coordinator)
    # 1 SAVEPOINT, 2 session, 3 user, 4 the agency, 5 its suspensions with who imposed and lifted them and their
    # breach counts, 6 its events, 7 its suspensions' events, 8 the people named in them, 9 RELEASE SAVEPOINT.
    with django_assert_num_queries(9):
        client.get(f"/agencies/{agency_a.pk}/")
    for n in range(1, 4):
        suspend(agency_a, coordinator, starts_on=days(10 * n), ends_on=days(10 * n + 5))
    with django_assert_num_queries(9):
        response = client.get(f"/agencies/{agency_a.pk}/")
    assert len(response.context["suspensions"]) == 4


# --- Suspend, lift, remove in the browser


def test_the_coordinator_suspends_from_the_agencys_page_citing_its_breaches(
    client, coordinator, council_user, agency_a, agency_b, django_capture_on_commit_callbacks
):
    council_user.email = "workforce@solihull.example"
    council_user.save()
    placement = PlacementFactory(agency=agency_a)
    case = BreachFactory(placement=placement, rule=Breach.Rule.PAY_RATE_ABOVE_CAP)
    other = PlacementFactory(agency=agency_b)
    BreachFactory(placement=other, authority=None, rule=Breach.Rule.PAY_RATE_ABOVE_CAP)
    client.force_login(coordinator)
    form = client.get(f"/agencies/{agency_a.pk}/suspend/?breaches={case.pk}").context["form"]
    assert list(form.fields["breaches"].queryset) == [case]  # only its own cases are offered
    assert form["breaches"].initial == [str(case.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/agencies/{agency_a.pk}/suspend/",
            {
                "kind": "temporary",
                "starts_on": today().isoformat(),
                "ends_on": days(28).isoformat(),
                "reason": REASON,
                "breaches": [case.pk],
                "confirm": "1",
            },
        )
    assert response.status_code == 302
    suspension = Suspension.objects.get()
    assert (suspension.ends_on, list(suspension.breaches.all()), suspension.imposed_by) == (
        days(28),
        [case],
        coordinator,
    )
    case.refresh_from_db()
    assert case.status == "escalated"
    assert [m.to for m in mail.outbox] == [["workforce@solihull.example"]]
    page = text(client.get(response["Location"]))
    assert "is suspended from today. Every council's users and the agency have been emailed." in page


def test_suspending_shows_what_it_will_do_and_stores_nothing_until_confirmed(client, coordinator, agency_a):
    client.force_login(coordinator)
    post = {"kind": "temporary", "starts_on": today().isoformat(), "ends_on": days(28).isoformat(), "reason": REASON}
    page = client.post(f"/agencies/{agency_a.pk}/suspend/", post)
    assert page.status_code == 200 and not Suspension.objects.exists()
    shown = text(page)
    assert f"Check before you suspend {agency_a.name}" in shown
    assert f"cannot register new placements, through the portal or the API, until {days(28):%-d %B %Y}" in shown
    assert 'name="confirm" value="1" class="danger">Suspend' in page.content.decode()
    # "Change the details" goes back to the form, filled in; nothing stored.
    back = client.post(f"/agencies/{agency_a.pk}/suspend/", {**post, "change": "1"})
    assert back.context["form"]["reason"].value() == REASON and not Suspension.objects.exists()
    done = client.post(f"/agencies/{agency_a.pk}/suspend/", {**post, "confirm": "1"})
    assert done.status_code == 302 and Suspension.objects.count() == 1


def test_a_suspension_without_its_end_date_is_shown_beside_the_field(client, coordinator, agency_a):
    client.force_login(coordinator)
    response = client.post(
        f"/agencies/{agency_a.pk}/suspend/",
        {"kind": "temporary", "starts_on": today().isoformat(), "ends_on": "", "reason": REASON},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"ends_on": ["A temporary suspension needs the date it ends."]}
    assert not Suspension.objects.exists()


def test_lifting_in_the_browser_needs_a_reason(client, coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    client.force_login(coordinator)
    response = client.post(f"/suspensions/{suspension.pk}/lift/", {"lift_reason": "", "lifted_on": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"lift_reason": ["This field is required."]}
    suspension.refresh_from_db()
    assert suspension.lifted_on is None


def test_removing_needs_the_confirmation_and_then_suspending_is_refused(client, coordinator, agency_a):
    client.force_login(coordinator)
    response = client.post(f"/agencies/{agency_a.pk}/remove/", {"reason": "Supplied while suspended."})
    assert response.context["form"].errors == {"confirm": ["This field is required."]}
    response = client.post(f"/agencies/{agency_a.pk}/remove/", {"reason": "Supplied while suspended.", "confirm": "on"})
    assert response.status_code == 302
    agency_a.refresh_from_db()
    assert agency_a.standing == "removed"
    response = client.get(f"/agencies/{agency_a.pk}/suspend/", follow=True)
    assert "a removed agency stays removed" in text(response)
    page = client.get(f"/agencies/{agency_a.pk}/")
    assert ("Standing approved → removed", "coordinator", "Supplied while suspended.") in [
        (e.what, e.who, e.why) for e in page.context["history"]
    ]


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_suspends_lifts_and_removes(client, persona, request, coordinator, agency_a):
    suspension = suspend(agency_a, coordinator)
    client.force_login(request.getfixturevalue(persona))
    for url in (f"/agencies/{agency_a.pk}/suspend/", f"/agencies/{agency_a.pk}/remove/"):
        assert client.get(url).status_code == 403
    response = client.post(f"/suspensions/{suspension.pk}/lift/", {"lift_reason": "Because"})
    assert response.status_code == 403
    suspension.refresh_from_db()
    assert suspension.lifted_on is None


# --- The suspensions list and page


def test_an_agency_lists_only_its_own_suspensions_and_gets_404_for_anothers(
    client, coordinator, agency_user, agency_a, agency_b
):
    own = suspend(agency_a, coordinator)
    other = suspend(agency_b, coordinator, kind="ongoing", ends_on=None)
    client.force_login(agency_user)
    assert list(client.get("/suspensions/").context["page"].object_list) == [own]
    assert client.get(f"/suspensions/{own.pk}/").status_code == 200
    assert client.get(f"/suspensions/{other.pk}/").status_code == 404


def test_a_council_lists_every_suspension_and_filters_those_in_effect(
    client, coordinator, council_user, agency_a, agency_b
):
    in_effect = suspend(agency_a, coordinator)
    coming = suspend(agency_b, coordinator, starts_on=days(3), ends_on=days(10))
    client.force_login(council_user)
    assert list(client.get("/suspensions/").context["page"].object_list) == [coming, in_effect]
    assert list(client.get("/suspensions/?state=in_effect").context["page"].object_list) == [in_effect]
    assert list(client.get("/suspensions/?state=scheduled").context["page"].object_list) == [coming]
    assert list(client.get("/suspensions/?state=over").context["page"].object_list) == []


def test_a_council_sees_only_the_cited_breaches_at_its_authority(
    client, coordinator, council_user, agency_a, solihull, coventry
):
    here = PlacementFactory(agency=agency_a, authority=solihull)
    there = PlacementFactory(agency=agency_a, authority=coventry)
    cases = [BreachFactory(placement=p, rule=Breach.Rule.PAY_RATE_ABOVE_CAP) for p in (here, there)]
    suspension = suspend(agency_a, coordinator, breaches=cases)
    client.force_login(council_user)
    response = client.get(f"/suspensions/{suspension.pk}/")
    assert list(response.context["breaches"]) == [cases[0]]
    assert "1 cited case at other authorities not shown." in text(response)


def test_pages_ask_visitors_to_sign_in(client, agency_a):
    for url in ("/agencies/", f"/agencies/{agency_a.pk}/", "/suspensions/"):
        assert client.get(url)["Location"].startswith("/login/")
    assert mail.outbox == []
