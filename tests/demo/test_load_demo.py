"""`manage.py load_demo`: the demo data set it loads, and that a second run changes nothing.

The demo is loaded once for the module (about 12 s) inside a transaction that is rolled back after the last test;
each test runs in a savepoint within it, as usual.
"""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import ExtractIsoWeekDay
from django.utils import timezone

import pytest

from accounts.models import User
from agencies.models import Agency, Suspension
from compliance.models import AuditRun, Breach, CorrectiveAction
from demo.data import DEMO_PASSWORD, DEMO_USERS, work_until
from demo.plan import make_plan
from mou.models import Cap, MouVersion, Role
from mou.rules import has_min_experience, within_cooling_off
from mou.selectors import cap_for
from placements.models import (
    CapException,
    PermanentLeaver,
    Placement,
    ProjectTeam,
    Timesheet,
    TimesheetLine,
    Worker,
)
from region.models import Authority
from workforce.models import OfficialFigure, WorkforceReturn

pytestmark = pytest.mark.django_db

DATA_END = date(2025, 12, 31)  # the plan's end: no placement starts after it
# Timesheets run to the last full week before today.
UNTIL = work_until(timezone.localdate())


@pytest.fixture(scope="module", autouse=True)
def first_run(django_db_setup, django_db_blocker):
    """The output of the first load_demo."""
    with django_db_blocker.unblock(), transaction.atomic():
        out, err = StringIO(), StringIO()
        call_command("load_demo", stdout=out, stderr=err)
        # Check the deferred foreign keys now, once; otherwise every test's teardown checks all of them again.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield out.getvalue(), err.getvalue()
        transaction.set_rollback(True)


def above_cap(placement, worked_on):
    """Whether the placement's agreed rates are above the cap binding work on that day (None: uncapped)."""
    applicable = cap_for(
        role=placement.role,
        engagement_type=placement.engagement_type,
        started_on=placement.start_date,
        worked_on=worked_on,
    )
    if applicable is None:
        return None
    charge_cap = applicable.max_charge_rate
    return placement.pay_rate > applicable.max_pay_rate or (
        charge_cap is not None and placement.charge_rate > charge_cap
    )


def test_it_prints_what_it_loaded(first_run):
    out, err = first_run
    assert "Demo data loaded" in out
    assert "placements                    400  (400 new)" in out
    assert "MoU versions                    4  (4 new)" in out
    assert err == ""  # no warning: the import command and the official files are there


def test_it_loads_four_published_versions_with_only_the_newest_in_force_and_a_draft():
    versions = list(MouVersion.objects.order_by("effective_from").values_list("name", "status"))
    assert versions == [
        ("Agency Protocol January 2015", "superseded"),
        ("April 2017 revision", "superseded"),
        ("April 2018 revision", "superseded"),
        ("January 2025 national-rules version", "in_force"),
        ("April 2027 draft (for consultation)", "draft"),
    ]


def test_the_draft_has_current_placements_above_its_caps_for_the_what_if():
    from mou.whatif import what_if

    draft = MouVersion.objects.get(status="draft")
    assert draft.caps.count() == 7
    result = what_if(version=draft)
    above = [judged for judged in result.placements if judged.above_draft_cap]
    assert above, "the demo's draft should give the what-if something to show"


def test_the_2015_version_has_the_published_pay_caps_and_no_charge_caps():
    caps = {
        cap.role.code: (cap.max_pay_rate, cap.max_charge_rate)
        for cap in Cap.objects.filter(version__name="Agency Protocol January 2015").select_related("role")
    }
    assert caps["SW"] == (Decimal("22.50"), None)
    assert caps["SSW"] == (Decimal("24.00"), None)
    assert caps["TM"] == (Decimal("35.75"), None)
    assert set(caps) == {"SW", "SSW", "AP", "TM", "IRO"}


def test_later_versions_cap_pay_and_charge_for_every_capped_role_and_say_their_figures_are_illustrative():
    for version in MouVersion.objects.exclude(name="Agency Protocol January 2015"):
        assert "Illustrative figures, not the published caps." in version.notes
        any_engagement = version.caps.filter(engagement_type=None, max_charge_rate__isnull=False)
        assert sorted(any_engagement.values_list("role__code", flat=True)) == ["AP", "IRO", "SSW", "SW", "TM"]


def test_the_2018_revision_caps_limited_company_engagements_apart():
    sw = Role.objects.get(code="SW")
    cap = cap_for(role=sw, engagement_type="limited", started_on=date(2019, 1, 7), worked_on=date(2019, 1, 7))
    assert (cap.version.name, cap.cap.engagement_type, cap.max_pay_rate) == ("April 2018 revision", "limited", 25)


def test_the_2025_version_sets_the_national_rules():
    version = MouVersion.objects.get(name="January 2025 national-rules version")
    assert (version.effective_from, version.binds_existing_from) == (date(2025, 1, 1), date(2025, 4, 1))
    assert (version.cooling_off_months, version.min_experience_years) == (12, 3)


def test_it_places_400_workers_across_all_14_authorities():
    assert Placement.objects.count() == 400
    assert Placement.objects.values("authority").distinct().count() == Authority.objects.count() == 14
    assert Placement.objects.filter(start_date__lt=date(2019, 1, 1)).count() == 0
    assert Placement.objects.filter(start_date__gt=DATA_END).count() == 0
    assert Placement.objects.filter(end_date=None).count() == 31
    assert Placement.objects.filter(role__code="SM").count() == 30


def test_four_percent_of_placements_are_above_the_cap_at_their_start():
    placements = Placement.objects.select_related("role")
    over = [p for p in placements if above_cap(p, p.start_date)]
    assert len(over) == 16
    assert 3 <= 100 * len(over) / placements.count() <= 5


def test_the_other_placements_stay_within_every_cap_that_binds_them_later():
    """A placement that crosses into the 2025 version's binds-existing date is judged by its caps from then on."""
    version_days = set()
    for version in MouVersion.objects.all():
        version_days |= {version.effective_from, version.binds_existing_from}
    over = 0
    for placement in Placement.objects.select_related("role"):
        last_day = min(placement.end_date or UNTIL, UNTIL)
        days = {placement.start_date} | {day for day in version_days if placement.start_date < day <= last_day}
        over += any(above_cap(placement, day) for day in days)
    assert over == 16


def test_timesheet_lines_above_the_placements_rates_stay_within_the_cap():
    """Only the 16 over-cap placements have lines above a cap (the odd enhanced rate elsewhere stays under it)."""
    by_placement = TimesheetLine.objects.values("placement").annotate(pay=Max("pay_rate"), charge=Max("charge_rate"))
    placements = Placement.objects.select_related("role").in_bulk()
    over = 0
    for row in by_placement:
        placement = placements[row["placement"]]
        placement.pay_rate, placement.charge_rate = row["pay"], row["charge"]
        over += bool(above_cap(placement, placement.start_date))
    assert over == 16


def test_one_msp_supplies_through_three_second_tier_agencies():
    msp = Agency.objects.get(is_msp=True)
    assert msp.second_tier_agencies.count() == 3
    assert Agency.objects.count() == 12
    assert all("(fictional)" in name for name in Agency.objects.values_list("name", flat=True))


def test_one_agency_is_suspended_for_a_time_and_one_is_removed():
    suspended = Agency.objects.get(standing="suspended")
    suspension = Suspension.objects.get()
    assert suspension.agency == suspended
    assert suspension.kind == "temporary" and suspension.reason
    assert suspension.imposed_by.username == "coordinator"
    assert Agency.objects.filter(standing="removed").count() == 1
    # No placement started while its agency was off the list: that is for the audit to find in real data.
    assert not Placement.objects.filter(agency=suspended, start_date__gte=suspension.starts_on).exists()
    assert not Placement.objects.filter(agency__standing="removed").filter(
        Q(end_date=None) | Q(end_date__gt=date(2021, 12, 31))
    )


def test_demo_users_have_their_role_authority_and_agency():
    users = {user.username: user for user in User.objects.select_related("authority", "agency")}
    assert [(name, users[name].role) for name, _role, _sees in DEMO_USERS] == [
        (name, role) for name, role, _sees in DEMO_USERS
    ]
    assert users["solihull"].authority.code == "E08000029"
    assert users["coventry"].authority.code == "E08000026"
    assert users["kestrel"].agency.name == "Kestrel Social Care Recruitment Ltd (fictional)"
    assert users["meridian"].agency.name == "Meridian Locum Partners Ltd (fictional)"
    assert users["coordinator"].is_staff and not users["analyst"].is_staff
    assert users["kestrel"].check_password(DEMO_PASSWORD)


def test_every_timesheet_line_is_a_weekday_within_its_placement_and_its_week():
    lines = TimesheetLine.objects.all()
    assert 90_000 <= lines.count() <= 120_000
    assert not lines.filter(date__lt=F("placement__start_date")).exists()
    assert not lines.filter(date__gt=F("placement__end_date")).exists()
    assert not lines.filter(date__gt=UNTIL).exists()
    assert not lines.filter(date__gt=F("timesheet__week_ending")).exists()
    assert not lines.filter(date__lte=F("timesheet__week_ending") - timedelta(days=7)).exists()
    assert not lines.exclude(placement=F("timesheet__placement")).exists()
    assert not lines.exclude(revision=F("timesheet__revision")).exists()
    assert not lines.annotate(weekday=ExtractIsoWeekDay("date")).filter(weekday__gt=5).exists()
    weeks = Timesheet.objects.annotate(weekday=ExtractIsoWeekDay("week_ending"))
    assert set(weeks.values_list("weekday", flat=True).distinct()) == {7}
    assert weeks.aggregate(last=Max("week_ending"), first=Min("week_ending")) == {
        "first": date(2019, 1, 13),  # the first placement starts on Monday 7 January 2019
        "last": UNTIL,  # the demo's open placements are worked to last week, whenever it is loaded
    }


def test_twelve_leavers_left_within_a_year_of_an_agency_placement_five_of_them_for_exempt_reasons():
    assert PermanentLeaver.objects.count() == 30
    candidates = [
        leaver
        for leaver in PermanentLeaver.objects.select_related("worker")
        if any(
            within_cooling_off(left_on=leaver.left_on, starts_on=p.start_date, months=12)
            for p in leaver.worker.placements.all()
        )
    ]
    assert len(candidates) == 12
    assert sum(leaver.is_exempt for leaver in candidates) == 5


def test_three_workers_start_in_2025_with_under_three_years_experience_and_four_have_no_date():
    short = {
        p.worker_id
        for p in Placement.objects.filter(start_date__gte=date(2025, 1, 1), worker_qualified_on__isnull=False)
        if not has_min_experience(qualified_on=p.worker_qualified_on, starts_on=p.start_date, years=3)
    }
    assert len(short) == 3
    # The agencies state a date for every placement of a worker, or none.
    no_date = Worker.objects.exclude(placements__worker_qualified_on__isnull=False)
    assert no_date.count() == 4
    assert Worker.objects.exclude(swe_number__regex=r"^SW[0-9]{6}$").count() == 0


def test_cap_exceptions_cover_part_of_over_cap_placements():
    exceptions = CapException.objects.select_related("placement__role")
    assert exceptions.count() == 8
    for exception in exceptions:
        placement = exception.placement
        assert above_cap(placement, placement.start_date)
        assert placement.start_date <= exception.valid_from
        assert exception.valid_until < min(placement.end_date or DATA_END, DATA_END)
        assert "(fictional DCS)" in exception.signed_by_dcs


def test_the_14_authorities_have_quarterly_returns_from_2023_to_the_last_quarter_ended():
    returns = WorkforceReturn.objects.all()
    last = returns.aggregate(last=Max("period_end"))["last"]
    assert UNTIL - timedelta(days=92) <= last <= UNTIL
    quarters = (last.year - 2023) * 4 + (last.month - 3) // 3 + 1
    assert returns.count() == 14 * quarters
    assert returns.values("authority").distinct().count() == 14
    assert returns.aggregate(first=Min("period_end"))["first"] == date(2023, 3, 31)
    solihull = returns.get(authority__code="E08000029", period_end=date(2025, 9, 30))
    assert 5 < solihull.agency_rate < 25


def test_it_imports_the_official_statistics():
    assert OfficialFigure.objects.filter(authority__isnull=False).values("authority").distinct().count() == 14


def test_it_exercises_the_national_rules_references_and_project_teams():
    """Placements from 2025 have their references, a few only one; project-team placements are on an approved team
    but for the latest two; so the audit has a case of each new rule to open."""
    national = MouVersion.objects.get(name="January 2025 national-rules version")
    assert (national.min_references, national.cap_basis) == (2, "pay")
    started_2025 = Placement.objects.filter(start_date__gte=date(2025, 1, 1)).annotate(
        refs=Count("references", filter=Q(references__given_on__lte=F("start_date")))
    )
    short = started_2025.filter(refs__lt=2)
    assert 0 < short.count() < started_2025.count() / 8
    assert not Placement.objects.filter(start_date__lt=date(2025, 1, 1), references__isnull=False).exists()
    in_teams = Placement.objects.filter(project_team=True)
    named = in_teams.filter(
        worker__project_teams__team__agency=F("agency"),
        worker__project_teams__team__authority=F("authority"),
        worker__project_teams__team__approved_on__lte=F("start_date"),
    )
    assert in_teams.count() - named.distinct().count() == 2
    team = ProjectTeam.objects.filter(members__isnull=False).first()
    assert team.approved_by == "Director of children's services" and team.cost_of_service > 0


def test_it_audits_what_it_loaded_so_the_queue_has_cases_of_every_kind():
    run = AuditRun.objects.get()
    assert run.status == "finished" and run.trigger == "command"
    assert run.lines_checked == TimesheetLine.objects.count()
    rules = set(Breach.objects.values_list("rule", flat=True))
    assert {"pay_rate_above_cap", "charge_rate_above_cap", "cooling_off", "references_missing"} <= rules


def test_kestrel_has_a_corrective_action_awaiting_its_signature(first_run):
    action = CorrectiveAction.objects.get()
    assert action.agency.name.startswith("Kestrel") and action.status == "issued"
    assert action.breaches.count() == 3
    assert set(action.breaches.values_list("status", flat=True)) == {"corrective_action"}
    assert all(item.due_on > timezone.localdate() for item in action.items.all())
    assert f"Corrective action {action.pk} issued to Kestrel" in first_run[0]


def test_the_plan_is_the_same_every_time():
    assert make_plan() == make_plan()


def test_a_second_run_changes_nothing():
    """Row counts of every table (history tables included, so an update would show) and the last line id."""
    models = [model for model in apps.get_models() if model._meta.managed and not model._meta.proxy]
    before = {model._meta.label: model.objects.count() for model in models}
    last_line = TimesheetLine.objects.aggregate(last=Max("id"))["last"]

    out = StringIO()
    call_command("load_demo", stdout=out)

    assert out.getvalue().startswith("Demo data already loaded: nothing changed")
    assert {model._meta.label: model.objects.count() for model in models} == before
    assert TimesheetLine.objects.aggregate(last=Max("id"))["last"] == last_line
