"""load_demo is all or nothing: a run that fails half-way leaves no row behind, so the next run loads everything."""

from datetime import date

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from agencies.models import Agency
from demo import loader
from mou.models import MouVersion
from placements.models import Placement, Worker
from tests.factories import MouVersionFactory

pytestmark = pytest.mark.django_db


def test_a_run_that_dies_before_the_timesheets_leaves_nothing(monkeypatch):
    def die(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(loader, "_load_timesheets", die)

    with pytest.raises(RuntimeError):
        call_command("load_demo")

    assert MouVersion.objects.count() == 0
    assert Agency.objects.count() == 0
    assert Worker.objects.count() == 0
    assert Placement.objects.count() == 0


def test_it_refuses_to_contradict_a_version_already_in_force():
    MouVersionFactory(name="Our own protocol", effective_from=date(2016, 1, 1), status=MouVersion.Status.IN_FORCE)

    with pytest.raises(CommandError, match="Another MoU version is in force"):
        call_command("load_demo")

    assert list(MouVersion.objects.values_list("name", flat=True)) == ["Our own protocol"]
    assert Agency.objects.count() == 0
