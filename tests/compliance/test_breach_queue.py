"""The breach queue (/breaches/), a case's page (/breaches/<id>/) and the manual report (/breaches/report/):
scoped to each user, filtered and sorted, counted by status, worked in bulk by the coordinator, with pinned queries."""

import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from compliance.models import Breach, BreachNote
from tests.factories import (
    AgencyFactory,
    BreachFactory,
    BreachLineFactory,
    BreachNoteFactory,
    CorrectiveActionFactory,
    MouVersionFactory,
    PlacementFactory,
    SuspensionFactory,
    TimesheetFactory,
    TimesheetLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

S = Breach.Status


def text(response):
    """A page's text as a reader sees it: tags dropped, entities decoded, runs of white space made one."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def listed(response):
    return [b.pk for b in response.context["page"].object_list]


def detected(case, day):
    """Back-date when a case was detected (auto_now_add) to noon on `day`."""
    Breach.objects.filter(pk=case.pk).update(
        detected_at=timezone.make_aware(datetime(day.year, day.month, day.day, 12))
    )


@pytest.fixture
def region(agency_a, agency_b, solihull, coventry, coordinator):
    """Four cases: two of Alpha at Solihull, one of Beta at Coventry, one reported about Beta at Solihull."""
    version = MouVersionFactory(name="April 2018", effective_from=date(2018, 4, 1))
    a = PlacementFactory(agency=agency_a, authority=solihull)
    b = PlacementFactory(agency=agency_b, authority=coventry)
    cases = {
        "a_pay": BreachFactory(
            placement=a, mou_version=version, excess_amount=Decimal("37.50"), lines_count=2, assignee=coordinator
        ),
        "a_charge": BreachFactory(
            placement=a,
            rule=Breach.Rule.CHARGE_RATE_ABOVE_CAP,
            mou_version=version,
            excess_amount=Decimal("120.00"),
            status=S.UNDER_REVIEW,
        ),
        "b_pay": BreachFactory(placement=b, mou_version=version, excess_amount=Decimal("5.00"), status=S.RESOLVED),
        "b_manual": BreachFactory(
            placement=None,
            rule=Breach.Rule.MANUAL,
            agency=agency_b,
            authority=solihull,
            severity=Breach.Severity.SERIOUS,
            description="Approached a worker",
        ),
    }
    detected(cases["a_pay"], date(2025, 1, 10))
    detected(cases["a_charge"], date(2025, 2, 10))
    detected(cases["b_pay"], date(2025, 3, 10))
    detected(cases["b_manual"], date(2025, 4, 10))
    return cases


def ids(region, *keys):
    return [region[k].pk for k in keys]


# --- Who sees what


def test_the_coordinator_sees_every_case_newest_first(client, coordinator, region):
    client.force_login(coordinator)
    response = client.get("/breaches/")
    assert listed(response) == ids(region, "b_manual", "b_pay", "a_charge", "a_pay")
    page = response.content.decode()
    assert 'id="bulk"' in page and "My queue" in page and "Report a breach" in page


def test_a_council_sees_the_same_queue_scoped_to_its_authority(client, council_user, region):
    client.force_login(council_user)
    response = client.get("/breaches/")
    assert listed(response) == ids(region, "b_manual", "a_charge", "a_pay")
    assert "authority" not in response.context["filter"].form.fields
    page = response.content.decode()
    assert 'id="bulk"' not in page and "My queue" not in page
    assert "Report a breach" in page


def test_another_council_sees_only_its_own(client, other_council_user, region):
    client.force_login(other_council_user)
    assert listed(client.get("/breaches/")) == ids(region, "b_pay")


def test_an_agency_sees_only_its_breaches_with_fewer_controls(client, agency_user, region):
    client.force_login(agency_user)
    response = client.get("/breaches/")
    assert listed(response) == ids(region, "a_charge", "a_pay")
    assert set(response.context["filter"].form.fields) == {
        "status",
        "rule",
        "severity",
        "authority",
        "detected",
        "sort",
    }
    page = response.content.decode()
    assert 'id="bulk"' not in page and "Report a breach" not in page and "Assignee" not in page


def test_an_analyst_reads_the_queue_without_bulk_controls(client, analyst, region):
    client.force_login(analyst)
    response = client.get("/breaches/")
    assert len(listed(response)) == 4
    assert 'id="bulk"' not in response.content.decode()


def test_an_empty_queue_says_so(client, council_user):
    client.force_login(council_user)
    assert "No breach cases at Solihull." in text(client.get("/breaches/"))


# --- Filters, sorting, counts


@pytest.mark.parametrize(
    "query, expected",
    [
        ("rule=charge_rate_above_cap", ["a_charge"]),
        ("status=under_review", ["a_charge"]),
        ("status=unresolved", ["b_manual", "a_charge", "a_pay"]),
        ("severity=serious", ["b_manual"]),
        ("authority=E08000026", ["b_pay"]),
        ("assignee=me", ["a_pay"]),
        ("assignee=coordinator", ["a_pay"]),
        ("assignee=none", ["b_manual", "b_pay", "a_charge"]),
        ("detected_after=2025-02-10&detected_before=2025-03-10", ["b_pay", "a_charge"]),
        ("detected_after=2025-04-11", []),
        ("sort=-excess", ["a_charge", "a_pay", "b_pay", "b_manual"]),
        ("sort=excess", ["b_manual", "b_pay", "a_pay", "a_charge"]),
        ("sort=detected", ["a_pay", "a_charge", "b_pay", "b_manual"]),
        ("sort=-detected", ["b_manual", "b_pay", "a_charge", "a_pay"]),
        ("status=unresolved&sort=-excess", ["a_charge", "a_pay", "b_manual"]),
    ],
)
def test_the_coordinator_filters_and_sorts_the_queue(client, coordinator, region, query, expected):
    client.force_login(coordinator)
    assert listed(client.get(f"/breaches/?{query}")) == ids(region, *expected)


def test_a_filter_value_that_is_not_one_is_said_and_the_rest_still_apply(client, coordinator, region):
    client.force_login(coordinator)
    response = client.get("/breaches/?status=closed&severity=serious&sort=sideways&page=x")
    assert response.status_code == 200
    assert listed(response) == ids(region, "b_manual")
    assert "Select a valid choice. closed is not one of the available choices." in text(response)


def test_the_queue_filters_by_agency(client, coordinator, region, agency_b):
    client.force_login(coordinator)
    assert listed(client.get(f"/breaches/?agency={agency_b.pk}")) == ids(region, "b_manual", "b_pay")


def test_the_counts_by_status_follow_every_filter_but_the_status(client, coordinator, region, agency_a):
    client.force_login(coordinator)
    response = client.get(f"/breaches/?agency={agency_a.pk}&status=under_review")
    counts = {status: n for status, _, n in response.context["status_counts"]}
    assert counts == {
        "open": 1,
        "under_review": 1,
        "corrective_action": 0,
        "resolved": 0,
        "dismissed": 0,
        "escalated": 0,
    }
    assert (response.context["counts_total"], response.context["counts_unresolved"]) == (2, 2)
    assert listed(response) == ids(region, "a_charge")
    assert "All 2 Not yet closed 2 Open 1 Under review 1" in text(response)


def test_my_queue_is_the_coordinators_open_cases_oldest_first(client, coordinator, region):
    client.force_login(coordinator)
    page = client.get("/breaches/").content.decode()
    assert 'href="?assignee=me&amp;status=unresolved&amp;sort=detected">My queue' in page
    assert listed(client.get("/breaches/?assignee=me&status=unresolved&sort=detected")) == ids(region, "a_pay")


def test_the_queue_pages_by_fifty(client, analyst, agency_a):
    placement = PlacementFactory(agency=agency_a)
    Breach.objects.bulk_create(
        [Breach(agency=agency_a, placement=placement, rule="manual", description=str(n)) for n in range(51)]
    )
    client.force_login(analyst)
    response = client.get("/breaches/")
    assert (len(listed(response)), response.context["page"].paginator.num_pages) == (50, 2)
    assert len(listed(client.get("/breaches/?page=2"))) == 1


@pytest.mark.parametrize("rows", [3, 30])
def test_the_coordinators_queue_takes_the_same_queries_for_3_or_30_cases(
    rows, client, coordinator, django_assert_num_queries
):
    agency = AgencyFactory()
    for _ in range(rows):
        BreachFactory(placement__agency=agency, assignee=coordinator, mou_version=None)
    client.force_login(coordinator)
    # 1 SAVEPOINT (ATOMIC_REQUESTS), 2 session, 3 user, 4 coordinators (assignee filter and bulk form), 5 count
    # for the paginator, 6 the page of cases with agency, authority, placement, worker, role, MoU version and
    # assignee joined, 7 counts by status, 8 authorities (filter), 9 agencies (filter), 10 RELEASE SAVEPOINT.
    with django_assert_num_queries(10):  # the saved views one more, the page count one fewer
        response = client.get("/breaches/?sort=-excess&status=unresolved")
    assert len(listed(response)) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_a_councils_queue_takes_the_same_queries_for_3_or_30_cases(
    rows, client, council_user, solihull, django_assert_num_queries
):
    agency = AgencyFactory()
    for _ in range(rows):
        BreachFactory(placement__agency=agency, placement__authority=solihull)
    client.force_login(council_user)
    # As the coordinator's, with the council's own authority (named in the page's header) in place of the
    # authorities of the filter a council does not have.
    with django_assert_num_queries(10):  # the saved views one more, the page count one fewer
        response = client.get("/breaches/")
    assert len(listed(response)) == rows


# --- Bulk actions


def test_the_coordinator_assigns_ticked_cases_in_bulk(client, coordinator, region):
    colleague = UserFactory(username="coordinator2", role="coordinator")
    client.force_login(coordinator)
    response = client.post(
        "/breaches/bulk/",
        {
            "breaches": ids(region, "a_charge", "b_manual"),
            "action": "assign",
            "assignee": "coordinator2",
            "next": "/breaches/?status=unresolved",
        },
    )
    assert response.status_code == 302 and response.url == "/breaches/?status=unresolved"
    assert list(Breach.objects.filter(assignee=colleague).order_by("pk").values_list("pk", flat=True)) == ids(
        region, "a_charge", "b_manual"
    )
    assert said(response) == [
        f"2 breach cases assigned to coordinator2: {region['a_charge'].pk}, {region['b_manual'].pk}."
    ]


def test_a_bulk_status_change_that_one_case_refuses_changes_nothing(client, coordinator, region):
    client.force_login(coordinator)
    response = client.post(
        "/breaches/bulk/",
        {"breaches": ids(region, "a_pay", "b_pay"), "action": "status", "status": "under_review"},
    )
    assert response.url == "/breaches/"
    assert said(response) == [
        "Nothing was changed: 1 of the 2 cases cannot move.",
        f"Breach {region['b_pay'].pk} cannot move from resolved to under review: from resolved it can move to open.",
    ]
    assert Breach.objects.get(pk=region["a_pay"].pk).status == "open"


def test_the_coordinator_moves_ticked_cases_in_bulk(client, coordinator, region):
    client.force_login(coordinator)
    response = client.post(
        "/breaches/bulk/",
        {"breaches": ids(region, "a_pay", "a_charge"), "action": "status", "status": "dismissed", "reason": "Covered"},
    )
    assert said(response) == [f"2 breach cases moved to dismissed: {region['a_pay'].pk}, {region['a_charge'].pk}."]
    assert set(Breach.objects.filter(status="dismissed").values_list("dismissed_reason", flat=True)) == {"Covered"}


def test_a_bulk_action_without_ticked_cases_says_so(client, coordinator, region):
    client.force_login(coordinator)
    response = client.post("/breaches/bulk/", {"action": "status", "status": "under_review"})
    assert said(response) == ["Tick at least one breach case first."]


def test_a_bulk_action_never_goes_back_to_another_site(client, coordinator, region):
    client.force_login(coordinator)
    response = client.post(
        "/breaches/bulk/",
        {"breaches": ids(region, "a_pay"), "action": "assign", "assignee": "", "next": "https://evil.example/"},
    )
    assert response.url == "/breaches/"


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_acts_in_bulk(persona, request, client, region):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        "/breaches/bulk/", {"breaches": ids(region, "a_pay"), "action": "status", "status": "resolved"}
    )
    assert response.status_code == 403
    assert Breach.objects.get(pk=region["a_pay"].pk).status == "open"


# --- A case's page


def with_lines(case, *days):
    """Offending lines of a pay-rate case: 7.5 hours a day at £30.00 against a £25.00 cap (£37.50 a day)."""
    placement = case.placement
    timesheet = TimesheetFactory(placement=placement, week_ending=date(2024, 4, 14))
    for day in days:
        line = TimesheetLineFactory(
            timesheet=timesheet,
            date=day,
            hours=Decimal("7.50"),
            pay_rate=Decimal("30.00"),
            charge_rate=Decimal("38.00"),
        )
        BreachLineFactory(breach=case, line=line, cap=Decimal("25.00"))
    Breach.objects.filter(pk=case.pk).update(
        cap_amount=Decimal("25.00"),
        lines_count=len(days),
        excess_hours=Decimal("7.50") * len(days),
        excess_amount=Decimal("37.50") * len(days),
    )


def test_a_case_page_shows_the_evidence(client, agency_user, region):
    case = region["a_pay"]
    with_lines(case, date(2024, 4, 8), date(2024, 4, 9))
    client.force_login(agency_user)
    page = text(client.get(f"/breaches/{case.pk}/"))
    assert f"Breach case No. {case.pk}: Pay rate above the cap" in page
    assert "MoU version April 2018 (in force from 1 Apr 2018)" in page
    assert "Cap £25.00 an hour (pay rate)" in page
    assert "Total excess £75.00 over 15.00 hours on 2 timesheet lines" in page
    assert "Mon 8 Apr 2024 7.50 30.00 25.00 5.00 37.50" in page
    assert "Tue 9 Apr 2024 7.50 30.00 25.00 5.00 37.50" in page
    assert "Alpha Locums Ltd (Approved)" in page
    assert "Change status" not in page  # the coordinator's controls


def test_a_case_with_many_lines_pages_them(client, coordinator, region):
    case = region["a_pay"]
    with_lines(case, *[date(2024, 4, 1) + timedelta(days=n) for n in range(60)])
    client.force_login(coordinator)
    response = client.get(f"/breaches/{case.pk}/?lines=2")
    assert len(response.context["lines"].object_list) == 10
    assert "Lines 51–60 of 60" in text(response)


def test_a_council_gets_404_for_another_authoritys_case(client, council_user, region):
    client.force_login(council_user)
    assert client.get(f"/breaches/{region['b_pay'].pk}/").status_code == 404
    assert client.get(f"/breaches/{region['b_manual'].pk}/").status_code == 200


def test_an_agency_gets_404_for_another_agencys_case(client, agency_user, region):
    client.force_login(agency_user)
    assert client.get(f"/breaches/{region['b_manual'].pk}/").status_code == 404
    assert client.post(f"/breaches/{region['b_manual'].pk}/notes/", {"text": "Not ours"}).status_code == 404
    assert not BreachNote.objects.exists()


def test_the_coordinator_moves_a_case_from_its_page(client, coordinator, region):
    case = region["a_pay"]
    client.force_login(coordinator)
    page = client.get(f"/breaches/{case.pk}/").content.decode()
    assert "Change status" in page and "Draft a corrective action" in page
    response = client.post(f"/breaches/{case.pk}/status/", {"status": "under_review", "reason": ""})
    assert response.url == f"/breaches/{case.pk}/"
    assert said(response) == [f"Breach {case.pk} is now Under review."]
    assert Breach.objects.get(pk=case.pk).status == "under_review"


def test_dismissing_from_the_page_without_a_reason_is_refused(client, coordinator, region):
    case = region["a_pay"]
    client.force_login(coordinator)
    response = client.post(f"/breaches/{case.pk}/status/", {"status": "dismissed", "reason": " "})
    assert said(response) == [
        f"Dismissing breach {case.pk} needs a reason (e.g. a duplicate, or the work was covered)."
    ]
    assert Breach.objects.get(pk=case.pk).status == "open"


def test_the_coordinator_assigns_and_grades_a_case_from_its_page(client, coordinator, region):
    case = region["a_charge"]
    client.force_login(coordinator)
    assert said(client.post(f"/breaches/{case.pk}/assign/", {"assignee": "me"}, follow=True)) == [
        f"Breach {case.pk} is assigned to coordinator."
    ]
    assert said(client.post(f"/breaches/{case.pk}/severity/", {"severity": "serious"}, follow=True)) == [
        f"Breach {case.pk} is now Serious."
    ]
    case.refresh_from_db()
    assert (case.assignee, case.severity) == (coordinator, "serious")


def test_a_case_is_not_assigned_from_its_page_to_an_analyst(client, coordinator, analyst, region):
    case = region["a_charge"]
    client.force_login(coordinator)
    response = client.post(f"/breaches/{case.pk}/assign/", {"assignee": "analyst"})
    assert said(response) == ["analyst is not a workforce coordinator: cases go to coordinators only."]
    assert Breach.objects.get(pk=case.pk).assignee is None


@pytest.mark.parametrize("persona", ["analyst", "council_user", "agency_user"])
def test_only_the_coordinator_moves_a_case_from_its_page(persona, request, client, region):
    case = region["a_pay"]
    client.force_login(request.getfixturevalue(persona))
    for action, data in [("status", {"status": "under_review"}), ("assign", {"assignee": "me"}), ("severity", {})]:
        assert client.post(f"/breaches/{case.pk}/{action}/", data).status_code == 403
    assert Breach.objects.get(pk=case.pk).status == "open"


def test_the_agency_answers_a_case_with_a_note_and_it_joins_the_timeline(client, agency_user, coordinator, region):
    case = region["a_pay"]
    client.force_login(agency_user)
    response = client.post(f"/breaches/{case.pk}/notes/", {"text": "We repaid the £37.50 on 3 March."})
    assert said(response) == ["Your note is in the case's timeline."]
    page = text(client.get(f"/breaches/{case.pk}/"))
    assert "alpha wrote: We repaid the £37.50 on 3 March." in page


@pytest.mark.django_db(transaction=True)  # each request its own transaction: history is stamped at its start
def test_the_timeline_tells_the_case_in_order_with_its_notes(client, coordinator, agency_user, region):
    case = region["a_pay"]
    client.force_login(coordinator)
    client.post(f"/breaches/{case.pk}/status/", {"status": "under_review", "reason": "Asked for payslips"})
    client.force_login(agency_user)
    client.post(f"/breaches/{case.pk}/notes/", {"text": "Payslips attached"})
    client.force_login(coordinator)
    client.post(f"/breaches/{case.pk}/status/", {"status": "resolved"})
    page = text(client.get(f"/breaches/{case.pk}/"))
    story = [
        "created by system",
        "status: Open → Under review by coordinator",
        "coordinator wrote: Asked for payslips",
        "alpha wrote: Payslips attached",
        "status: Under review → Resolved",
    ]
    positions = [page.index(step) for step in story]
    assert positions == sorted(positions)


def test_an_analyst_reads_a_case_but_adds_no_note(client, analyst, region):
    case = region["a_pay"]
    client.force_login(analyst)
    assert "Add note" not in client.get(f"/breaches/{case.pk}/").content.decode()
    assert client.post(f"/breaches/{case.pk}/notes/", {"text": "Hello"}).status_code == 403


def test_a_case_page_links_the_corrective_actions_and_suspensions_citing_it(client, coordinator, region, agency_a):

    case = region["a_pay"]
    action = CorrectiveActionFactory(agency=agency_a, summary="Repay the excess", breaches=[case])
    suspension = SuspensionFactory(
        agency=agency_a,
        kind="ongoing",
        starts_on=timezone.localdate(),
        reason="Repeated",
        imposed_by=coordinator,
        breaches=[case],
    )
    client.force_login(coordinator)
    page = client.get(f"/breaches/{case.pk}/").content.decode()
    assert f'href="/corrective-actions/{action.pk}/">Corrective action {action.pk}</a>: draft' in page
    assert f'href="/suspensions/{suspension.pk}/">Ongoing suspension from' in page


def test_a_case_page_takes_the_same_queries_however_long_its_timeline(client, coordinator, region):
    case = region["a_pay"]
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as before:
        client.get(f"/breaches/{case.pk}/")
    for n in range(5):
        BreachNoteFactory(breach=case, author=coordinator, text=f"Note {n}")
        case.severity = "serious" if n % 2 else "minor"
        case.save()
    with CaptureQueriesContext(connection) as after:
        client.get(f"/breaches/{case.pk}/")
    assert len(after) == len(before)


# --- Manual report


def test_a_council_reports_a_breach_from_the_page(client, council_user, agency_a, solihull):
    placement = PlacementFactory(agency=agency_a, authority=solihull)
    client.force_login(council_user)
    assert client.get(f"/breaches/report/?placement={placement.pk}").context["form"].initial == {
        "placement": placement.pk,
        "agency": agency_a.pk,
    }
    response = client.post(
        "/breaches/report/",
        {"agency": agency_a.pk, "placement": placement.pk, "severity": "serious", "description": "Poached our TM"},
    )
    case = Breach.objects.get()
    assert response.url == f"/breaches/{case.pk}/"
    assert said(response) == [f"Breach {case.pk} is reported and open in the queue. The coordinator has been told."]
    assert (case.rule, case.authority, case.placement, case.severity) == ("manual", solihull, placement, "serious")


def test_a_council_cannot_report_on_another_authoritys_placement_from_the_page(
    client, council_user, agency_a, coventry
):
    elsewhere = PlacementFactory(agency=agency_a, authority=coventry)
    client.force_login(council_user)
    response = client.post(
        "/breaches/report/",
        {"agency": agency_a.pk, "placement": elsewhere.pk, "severity": "minor", "description": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "placement": [f"Placement {elsewhere.pk} is not a placement at your authority."]
    }
    assert not Breach.objects.exists()


def test_the_coordinator_reports_a_breach_without_a_placement(client, coordinator, agency_b):
    client.force_login(coordinator)
    client.post("/breaches/report/", {"agency": agency_b.pk, "severity": "minor", "description": "Offered £50/h"})
    case = Breach.objects.get()
    assert (case.agency, case.authority, case.reported_by) == (agency_b, None, coordinator)


@pytest.mark.parametrize("persona", ["analyst", "agency_user"])
def test_analysts_and_agencies_have_no_report_page(persona, request, client):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/breaches/report/").status_code == 403


def test_a_refused_filter_still_pages_what_it_lists(client, coordinator, region):
    """The page count comes from the status counts; with a filter refused (a date that is not one) the list is counted
    as listed."""
    client.force_login(coordinator)
    response = client.get("/breaches/?detected_after=not-a-date&status=open")
    page = response.context["page"]
    assert page.paginator.count == len(page.object_list) <= 50
