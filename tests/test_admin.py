"""The Django admin as the coordinator uses it: every page opens, no changelist grows a query per row, nothing that
SPEC §3 says is kept can be deleted, and each tracked record shows its history."""

from datetime import date
from decimal import Decimal

from django.contrib import admin
from django.db import connection
from django.test.client import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from accounts.models import SavedView, User
from agencies.models import Suspension
from compliance.models import AuditRun, Breach, Query, Rejudge
from mou.models import MouVersion
from placements.models import ProjectTeam, Reference
from tests.factories import (
    AgencyFactory,
    AuditRunFactory,
    BreachFactory,
    BreachLineFactory,
    BreachNoteFactory,
    CapExceptionFactory,
    CapFactory,
    CorrectiveActionFactory,
    CorrectiveActionItemFactory,
    MouVersionFactory,
    OfficialFigureFactory,
    PermanentLeaverFactory,
    PlacementFactory,
    QueryFactory,
    SuspensionFactory,
    TimesheetFactory,
    TimesheetLineFactory,
    UserFactory,
    WorkforceReturnFactory,
    authority,
    role,
)
from workforce.models import OfficialFigure

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
OUR_APPS = {"accounts", "workforce", "mou", "agencies", "placements", "compliance"}


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(client):
    user = UserFactory(username="superuser", role=User.Role.COORDINATOR, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def admin_request(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


@pytest.fixture
def one_of_everything(superuser):
    """One object of every model of the project, keyed by model."""
    version = MouVersionFactory(name="2024 protocol", effective_from=date(2024, 4, 1), status="in_force")
    cap = CapFactory(version=version, max_pay_rate=Decimal("30.00"), max_charge_rate=Decimal("40.00"))
    placement = PlacementFactory(pay_rate=Decimal("35.00"), charge_rate=Decimal("45.00"))
    timesheet = TimesheetFactory(placement=placement, week_ending=date(2024, 4, 7))
    line = TimesheetLineFactory(timesheet=timesheet, date=date(2024, 4, 1), hours=Decimal("7.50"))
    breach = BreachFactory(
        placement=placement,
        mou_version=version,
        cap_amount=Decimal("30.00"),
        excess_amount=Decimal("37.50"),
        excess_hours=Decimal("7.50"),
        lines_count=1,
    )
    breach_line = BreachLineFactory(breach=breach, line=line, cap=Decimal("30.00"))
    corrective_action = CorrectiveActionFactory(
        agency=placement.agency, summary="Rates back under the cap", breaches=[breach]
    )
    item = CorrectiveActionItemFactory(
        corrective_action=corrective_action, description="Reduce the pay rate to £30.00", due_on=date(2024, 5, 1)
    )
    suspension = SuspensionFactory(
        agency=placement.agency,
        kind=Suspension.Kind.TEMPORARY,
        starts_on=date(2024, 6, 1),
        ends_on=date(2024, 9, 1),
        reason="Repeated pay above the cap",
        imposed_by=superuser,
        breaches=[breach],
    )
    team = ProjectTeam.objects.create(
        authority=placement.authority,
        agency=placement.agency,
        name="Assessment team",
        service="Assessments",
        cost_of_service=Decimal("120000.00"),
        approved_by="A. Director",
        approved_on=date(2024, 3, 1),
    )
    objects = [
        superuser,
        authority(),
        role(),
        version,
        cap,
        placement.agency,
        suspension,
        placement.worker,
        placement,
        PermanentLeaverFactory(),
        CapExceptionFactory(placement=placement),
        Reference.objects.create(
            placement=placement,
            referee="A. Referee",
            referee_role="Manager",
            organisation="X",
            given_on=date(2024, 3, 1),
        ),
        team,
        team.members.create(worker=placement.worker, role=role(), cost=Decimal("60000.00")),
        timesheet,
        line,
        AuditRunFactory(status=AuditRun.Status.FINISHED, lines_checked=1, breaches_found=1, progress=100),
        Rejudge.objects.create(reason="Cap exception 1, recorded 1 May 2024, covers these days", placement=placement),
        breach,
        breach_line,
        BreachNoteFactory(breach=breach, author=superuser, text="Asked the agency for its payslips"),
        corrective_action,
        item,
        SavedView.objects.create(user=superuser, list_name="compliance:breaches", name="Mine", query="assignee=me"),
        QueryFactory(
            asked_by_kind=Query.Asker.SOCIAL_WORKER,
            asked_by_name="A. Worker",
            channel=Query.Channel.EMAIL,
            subject="Does the cap apply to a project team?",
            question="I am offered a project-team post above the cap.",
        ),
        WorkforceReturnFactory(
            authority=authority(),
            period_end=date(2024, 9, 30),
            permanent_fte=Decimal("180.00"),
            agency_fte=Decimal("20.00"),
            vacancies_fte=Decimal("25.00"),
            leavers_fte=Decimal("27.00"),
            absence_rate=None,
        ),
        OfficialFigureFactory(
            release="2024",
            level=OfficialFigure.Level.LOCAL_AUTHORITY,
            area_code="E08000029",
            area_name="Solihull",
            authority=authority(),
            year=2024,
            period_end=date(2024, 9, 30),
            employed_fte=Decimal("180.00"),
            agency_fte=Decimal("20.00"),
        ),
    ]
    return {type(obj): obj for obj in objects}


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_changelist_opens(client, one_of_everything, model):
    assert client.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_add_page_opens_where_adding_is_allowed(client, admin_request, model):
    expected = 200 if admin.site._registry[model].has_add_permission(admin_request) else 403
    assert client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize(
    "model_label",
    ["region.Authority", "mou.Role", "compliance.AuditRun", "compliance.BreachLine", "placements.TimesheetLine"]
    + ["placements.Timesheet", "workforce.OfficialFigure"],
)
def test_seeded_and_generated_records_cannot_be_added_by_hand(client, superuser, model_label):
    model = next(model for model in REGISTERED if model._meta.label == model_label)
    assert client.get(admin_url(model, "add")).status_code == 403


def test_every_model_of_the_project_is_in_the_admin():
    from django.apps import apps

    from compliance.models import BreachCount, OpenBreachCount

    ours = {model for model in apps.get_models() if model._meta.app_label in OUR_APPS}
    event_models = {model for model in ours if model._meta.model_name.endswith("event")}
    # Counts the database keeps from the cases (compliance.counts), like the dashboards' summaries: nobody's record.
    derived = {BreachCount, OpenBreachCount}
    assert ours - event_models - derived - set(REGISTERED) == set()


@pytest.mark.parametrize("model_label", sorted(m._meta.label for m in REGISTERED if m._meta.app_label in OUR_APPS))
def test_every_change_page_opens(client, one_of_everything, model_label):
    obj = next(obj for model, obj in one_of_everything.items() if model._meta.label == model_label)
    assert client.get(admin_url(type(obj), "change", obj.pk)).status_code == 200


def test_placement_changelist_does_not_query_per_row(client, superuser):
    """Each placement names its worker, role, authority and agency: joined, not fetched row by row."""
    url = admin_url(PlacementFactory._meta.model, "changelist")

    PlacementFactory.create_batch(3)
    with CaptureQueriesContext(connection) as three_rows:
        assert client.get(url).status_code == 200

    PlacementFactory.create_batch(27)
    with CaptureQueriesContext(connection) as thirty_rows:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 30

    assert len(thirty_rows.captured_queries) == len(three_rows.captured_queries)


@pytest.mark.parametrize("model", [Breach, Suspension])
def test_breaches_and_suspensions_cannot_be_deleted(client, one_of_everything, admin_request, model):
    obj = one_of_everything[model]
    model_admin = admin.site._registry[model]

    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert "delete_selected" not in model_admin.get_actions(admin_request)
    assert model.objects.filter(pk=obj.pk).exists()


def test_versions_and_caps_are_shown_not_written_the_editor_writes_them(client, superuser, admin_request):
    """Deleting a version or editing its status or caps here would bypass mou.services (the checks, the adoption,
    the re-judging): the admin shows them only."""
    published = MouVersionFactory(name="2018", status=MouVersion.Status.SUPERSEDED)
    draft = MouVersionFactory(name="2026 draft", effective_from=date(2026, 4, 1), status=MouVersion.Status.DRAFT)
    CapFactory(version=published, max_pay_rate=Decimal("25.00"))

    for version in (published, draft):
        assert client.get(admin_url(MouVersion, "delete", version.pk)).status_code == 403
        assert client.post(admin_url(MouVersion, "change", version.pk), {"status": "in_force"}).status_code == 403
    assert client.get(admin_url(MouVersion, "add")).status_code == 403
    assert MouVersion.objects.filter(pk=draft.pk, status="draft").exists()
    response = client.get(admin_url(MouVersion, "change", published.pk))
    assert response.status_code == 200
    assert "25.00" in response.content.decode()
    assert 'name="caps-0-max_pay_rate"' not in response.content.decode()
    assert "delete_selected" not in admin.site._registry[MouVersion].get_actions(admin_request)


def test_breach_page_shows_who_changed_what_and_links_to_its_events(client, one_of_everything):
    breach = one_of_everything[Breach]
    client.post(
        admin_url(Breach, "change", breach.pk),
        {"status": "under_review", "severity": "minor", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1"},
    )

    page = client.get(admin_url(Breach, "change", breach.pk)).content.decode()

    # Values as the pages name them, not as stored (open → under_review).
    assert "<td>changed</td><td>superuser</td><td>status: Open → Under review</td>" in page
    events_url = f"{reverse('admin:pghistory_events_changelist')}?method=tracks&amp;obj=compliance.Breach%3A{breach.pk}"
    assert events_url in page
    events = client.get(events_url.replace("&amp;", "&"))
    assert events.status_code == 200
    assert events.context["cl"].result_count == 2


def test_a_breach_added_by_hand_is_a_manual_report_by_the_person_adding_it(client, superuser):
    agency = AgencyFactory()

    response = client.post(
        admin_url(Breach, "add"),
        {
            "agency": agency.pk,
            "authority": authority().pk,
            "status": "open",
            "severity": "serious",
            "description": "Agency approached a worker in post at Solihull",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    breach = Breach.objects.get(agency=agency)
    assert (breach.rule, breach.source, breach.reported_by) == ("manual", "manual", superuser)


def test_dismissing_a_breach_without_a_reason_is_refused_with_a_message(client, one_of_everything):
    breach = one_of_everything[Breach]

    response = client.post(
        admin_url(Breach, "change", breach.pk),
        {"status": "dismissed", "severity": "minor", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1"},
    )

    assert response.status_code == 200
    assert "dismissal_has_reason" in response.content.decode()
    breach.refresh_from_db()
    assert breach.status == Breach.Status.OPEN


def test_a_suspension_cannot_end_before_it_started_though_its_start_is_read_only(client, one_of_everything):
    suspension = one_of_everything[Suspension]

    response = client.post(
        admin_url(Suspension, "change", suspension.pk),
        {"kind": "temporary", "ends_on": "2024-05-01", "reason": suspension.reason},
    )

    assert response.status_code == 200
    assert "suspension_ends_after_start" in response.content.decode()
    suspension.refresh_from_db()
    assert suspension.ends_on == date(2024, 9, 1)


def test_a_suspension_added_here_records_who_imposed_it(client, superuser):
    agency = AgencyFactory()

    response = client.post(
        admin_url(Suspension, "add"),
        {"agency": agency.pk, "kind": "ongoing", "starts_on": "2024-06-01", "reason": "Serious breaches"},
    )

    assert response.status_code == 302
    assert Suspension.objects.get(agency=agency).imposed_by == superuser


def test_user_admin_shows_each_users_place_in_the_region(client, superuser, agency_a):
    UserFactory(username="alpha", role=User.Role.AGENCY, agency=agency_a)

    page = client.get(admin_url(User, "changelist")).content.decode()

    assert "Alpha Locums Ltd" in page
    assert "Agency user" in page


def test_site_header_names_the_region(client, superuser):
    assert "West Midlands agency MoU — administration" in client.get(reverse("admin:index")).content.decode()


def test_placements_are_picked_by_registration_number_not_from_a_dropdown(client, superuser):
    placement = PlacementFactory(worker__swe_number="SW777001")
    PlacementFactory.create_batch(3)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "placements", "model_name": "capexception", "field_name": "placement", "term": "SW777001"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(placement.pk)]
