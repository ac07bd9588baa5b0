"""The API guide (docs/api.md) is true: each of its `curl` examples runs, in order, against a live server, and
answers with the status code and the fields its `<!-- expect: ... -->` line names."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.models import User
from agencies.models import Agency
from tests.api.world import build_world
from tests.factories import AgencyFactory, UserFactory, authority
from tests.needs import missing

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
EXAMPLE = re.compile(r"<!-- expect: (\d{3})([^>]*)-->\s*```sh\n(.*?)```", re.DOTALL)


@pytest.fixture(autouse=True)
def _curl():
    if shutil.which("curl") is None:
        missing("the guide's examples need curl")


def examples():
    """(status, fields, command) for each example, in the order of the guide."""
    return [
        (int(code), fields.split(), command.strip()) for code, fields, command in EXAMPLE.findall(GUIDE.read_text())
    ]


def test_the_guide_has_its_examples_and_the_readme_links_to_it():
    commands = [command for _, _, command in examples()]
    assert len(commands) >= 12
    assert all(command.startswith("curl ") for command in commands)
    for path in ("/auth/token/", "/placements/", "/breaches/", "/workforce-returns/"):
        assert any(path in command for command in commands), path
    assert any(command.startswith("curl -s -X DELETE") for command in commands)
    assert "docs/api.md" in (GUIDE.parents[1] / "README.md").read_text()


@pytest.fixture
def region(transactional_db):
    """A council user with the demo password, and the region's rows (placements and breaches at Solihull...)."""
    agency_a, agency_b = AgencyFactory(name="Alpha Locums Ltd"), AgencyFactory(name="Beta Social Care Ltd")
    coordinator = UserFactory(username="coordinator", role=User.Role.COORDINATOR)
    coordinator.set_password("demo-pass-2025")  # the guide's section 7
    coordinator.save()
    solihull = UserFactory(username="solihull", role=User.Role.COUNCIL, authority=authority("E08000029"))
    solihull.set_password("demo-pass-2025")
    solihull.save()
    # An agency suspended today, for the guide's "standing=suspended" example.
    Agency.objects.filter(pk=agency_b.pk).update(standing=Agency.Standing.SUSPENDED)
    build_world(
        coordinator=coordinator,
        agency_a=agency_a,
        agency_b=agency_b,
        solihull=authority("E08000029"),
        coventry=authority("E08000026"),
    )


def test_every_example_of_the_guide_answers_as_it_says(live_server, region):
    env = {"PATH": "/usr/bin:/bin", "API": f"{live_server.url}/api/v1", "TOKEN": "", "ID": ""}
    for status, fields, command in examples():
        run = subprocess.run(
            ["bash", "-c", command + " -w '\\n%{http_code}'"], env=env, capture_output=True, text=True, timeout=60
        )
        body, _, code = run.stdout.rpartition("\n")
        assert int(code) == status, (command, run.stdout, run.stderr)
        if status == 204:
            assert body == ""
            continue
        answer = json.loads(body)
        assert set(fields) <= set(answer), (command, answer)
        if "token" in fields:
            env["TOKEN"] = answer["token"]
        if "id" in fields:
            env["ID"] = str(answer["id"])  # "$ID" in the next examples: the object just created
        if "results" in fields:
            assert answer["count"] == len(answer["results"]) > 0, (command, answer)
