"""Adopting a draft (SPEC §3 MoU version, §7 `bring-into-force/`): in force today, scheduled for a later date (and in
force on that date with nobody acting), or recorded in its place in the history for the past, so a region joining
the product records the versions its old timesheets are judged by, through the API only."""

from datetime import date

from django.apps import apps

import pytest
import time_machine

from mou.models import MouVersion
from mou.tasks import settle_versions
from tests.api.test_reference_api import token_client

pytestmark = pytest.mark.django_db

Status = MouVersion.Status


def draft(client, name, effective_from, pay, **extra):
    body = {
        "name": name,
        "effective_from": effective_from,
        "cooling_off_months": 12,
        "min_experience_years": 0,
        # The region's older versions name no engagement type: the cap is for any.
        "caps": [{"role": "SW", "max_pay_rate": pay, "max_charge_rate": None}],
        **extra,
    }
    response = client.post("/api/v1/mou-versions/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def cap_on(client, day):
    response = client.get("/api/v1/cap-check/", {"role": "SW", "date": day, "pay_rate": "30.00", "charge_rate": "40"})
    assert response.status_code == 200
    body = response.json()
    return body["mou_version_name"], body["cap"]["max_pay_rate"] if body["cap"] else None


def test_a_region_records_its_past_versions_and_cap_check_answers_by_them(coordinator):
    client = token_client(coordinator)
    assert not MouVersion.objects.exists()  # a fresh install
    v2015 = draft(client, "January 2015", "2015-01-01", "28.00")
    v2018 = draft(client, "April 2018", "2018-04-01", "31.50")

    first = client.post(
        f"/api/v1/mou-versions/{v2015}/bring-into-force/", {"reason": "Recorded on joining"}, format="json"
    )
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "in_force"  # the only version so far: it binds every day since
    assert first.json()["adoption"]["outcome"] == "recorded"

    second = client.post(f"/api/v1/mou-versions/{v2018}/bring-into-force/")
    assert second.status_code == 200
    assert second.json()["adoption"] == {
        "outcome": "recorded",
        "summary": "April 2018 is recorded from 1 April 2018 and is the version in force; January 2015 is superseded.",
        "supersedes": v2015,
        "lines_to_rejudge": 0,
        "placements_to_rejudge": 0,
    }
    statuses = dict(MouVersion.objects.values_list("name", "status"))
    assert statuses == {"January 2015": "superseded", "April 2018": "in_force"}

    assert cap_on(client, "2016-06-01") == ("January 2015", "28.00")
    assert cap_on(client, "2019-06-01") == ("April 2018", "31.50")
    assert cap_on(client, "2014-06-01") == (None, None)

    # Each adoption is in the version's history, with who and why.
    events = apps.get_model("mou", "MouVersionEvent").objects.filter(pgh_obj_id=v2015, pgh_label="update")
    contexts = [e.pgh_context.metadata for e in events.select_related("pgh_context").order_by("pgh_id")]
    assert contexts[0] == {
        "user": coordinator.pk,
        "url": f"/api/v1/mou-versions/{v2015}/bring-into-force/",
        "action": "version recorded for the past",
        "reason": "Recorded on joining",
    }


def test_a_version_adopted_in_january_for_april_is_scheduled_and_comes_into_force_by_itself(coordinator):
    with time_machine.travel(date(2027, 1, 10)):
        # Asked for on the day: a token unused for 30 days has expired (issue 17).
        client = token_client(coordinator)
        current = draft(client, "April 2025", "2025-04-01", "30.00")
        client.post(f"/api/v1/mou-versions/{current}/bring-into-force/")
        april = draft(client, "April 2027", "2027-04-01", "33.00")
        response = client.post(f"/api/v1/mou-versions/{april}/bring-into-force/")
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["adoption"]["outcome"]) == ("scheduled", "scheduled")
        # It binds work from its date already; until then the version in force does.
        assert cap_on(client, "2027-04-01") == ("April 2027", "33.00")
        assert cap_on(client, "2027-03-31") == ("April 2025", "30.00")
        listed = client.get("/api/v1/mou-versions/", {"status": "scheduled"}).json()["results"]
        assert [v["name"] for v in listed] == ["April 2027"]
        assert settle_versions() == []  # beat's run before the day changes nothing

    with time_machine.travel(date(2027, 4, 1)):
        assert sorted(settle_versions()) == sorted([current, april])
        assert settle_versions() == []  # idempotent
    statuses = dict(MouVersion.objects.values_list("name", "status"))
    assert statuses == {"April 2025": "superseded", "April 2027": "in_force"}
    event = (
        apps.get_model("mou", "MouVersionEvent")
        .objects.filter(pgh_obj_id=april, status="in_force")
        .select_related("pgh_context")
        .get()
    )
    assert event.pgh_context.metadata == {"user": None, "action": "scheduled version came into force"}


def test_two_versions_on_one_date_are_refused_with_a_message_a_coordinator_can_act_on(coordinator):
    client = token_client(coordinator)
    first = draft(client, "January 2015", "2015-01-01", "28.00")
    client.post(f"/api/v1/mou-versions/{first}/bring-into-force/")
    again = draft(client, "January 2015 (corrected)", "2015-01-01", "27.00")
    response = client.post(f"/api/v1/mou-versions/{again}/bring-into-force/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "January 2015 (in force) already takes effect on 1 January 2015: exactly one version binds any day of "
            "work. Give the draft another date, or correct the record by drafting a version with a date of its own."
        ]
    }
    assert MouVersion.objects.get(pk=again).status == "draft"


def test_beat_runs_the_daily_step_just_after_midnight():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Scheduled MoU versions come into force")
    assert (task.task, task.enabled) == ("mou.tasks.settle_versions", True)
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("1", "0", "Europe/London")
