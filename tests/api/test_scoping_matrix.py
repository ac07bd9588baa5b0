"""Who gets what from the API: every list and detail endpoint, every persona, exact ids (SPEC §2, §7).

The endpoints come from the router and the schema, not from this file: an endpoint registered without an
expectation here fails `test_every_endpoint_has_an_expectation`, so a new resource cannot ship unscoped by
oversight. Reads: each persona gets exactly the rows named in READS from lists and details (anything else a 404;
anonymous a 401). Writes: every write operation of the schema is tried by every persona: anonymous 401, a role that
may not write 403, a tenant writing to another tenant's object 404, or naming another tenant in a new one 400 —
and nothing changes.
"""

import io

from django.apps import apps
from django.db import transaction

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from futuresocial.api.urls import router
from tests.api.world import build_world
from tests.factories import AgencyFactory, UserFactory, authority

PERSONAS = ["coordinator", "analyst", "solihull", "coventry", "alpha", "beta", "anonymous"]
REGIONAL = {"coordinator", "analyst"}
TENANT = {"solihull": "S", "coventry": "C", "alpha": "A", "beta": "B"}
ROLE = {
    "coordinator": User.Role.COORDINATOR,
    "analyst": User.Role.ANALYST,
    "solihull": User.Role.COUNCIL,
    "coventry": User.Role.COUNCIL,
    "alpha": User.Role.AGENCY,
    "beta": User.Role.AGENCY,
}
ALL = "every row"
PAIRS = ["A@S", "A@C", "B@S", "B@C"]


def at(tenant):
    """The agency@authority pairs a tenant (S, C, A or B) may see."""
    return {pair for pair in PAIRS if tenant in pair.split("@")}


def like_placements():
    return {**{p: set(PAIRS) for p in REGIONAL}, **{p: at(t) for p, t in TENANT.items()}}


# router prefix -> (world name prefix, model label, persona -> world names (after the prefix) or ALL)
READS = {
    "authorities": (None, "region.Authority", {p: ALL for p in ROLE}),
    "roles": (None, "mou.Role", {p: ALL for p in ROLE}),
    "agencies": (
        "agency",
        "agencies.Agency",
        {"coordinator": ALL, "analyst": ALL, "solihull": ALL, "coventry": ALL, "alpha": {"A"}, "beta": {"B"}},
    ),
    "mou-versions": (
        "mou-version",
        "mou.MouVersion",
        {
            **{p: {"superseded 0", "in_force 0", "draft 0"} for p in REGIONAL},
            **{p: {"superseded 0", "in_force 0"} for p in TENANT},
        },
    ),
    "placements": ("placement", "placements.Placement", like_placements()),
    "permanent-leavers": (
        "permanent-leaver",
        "placements.PermanentLeaver",
        {
            "coordinator": {"S", "C"},
            "analyst": {"S", "C"},
            "solihull": {"S"},
            "coventry": {"C"},
            "alpha": set(),
            "beta": set(),
        },
    ),
    "cap-exceptions": ("cap-exception", "placements.CapException", like_placements()),
    "project-teams": ("project-team", "placements.ProjectTeam", like_placements()),
    "timesheets": ("timesheet", "placements.Timesheet", like_placements()),
    "audit-runs": (
        "audit-run",
        "compliance.AuditRun",
        {"coordinator": {""}, "analyst": {""}, **{p: set() for p in TENANT}},
    ),
    "breaches": ("breach", "compliance.Breach", like_placements()),
    "corrective-actions": (
        "corrective-action",
        "compliance.CorrectiveAction",
        {
            **{p: {"A@S", "B@C", "draft A@C"} for p in REGIONAL},
            "solihull": {"A@S"},
            "coventry": {"B@C"},
            "alpha": {"A@S"},
            "beta": {"B@C"},
        },
    ),
    "suspensions": (
        "suspension",
        "agencies.Suspension",
        {
            "coordinator": {"A", "B"},
            "analyst": {"A", "B"},
            "solihull": {"A", "B"},
            "coventry": {"A", "B"},
            "alpha": {"A"},
            "beta": {"B"},
        },
    ),
    "workforce-returns": (
        "workforce-return",
        "workforce.WorkforceReturn",
        {
            "coordinator": {"S", "C"},
            "analyst": {"S", "C"},
            "solihull": {"S"},
            "coventry": {"C"},
            "alpha": set(),
            "beta": set(),
        },
    ),
}

# GET endpoints outside the router's list/detail pair: (path, query) -> persona -> status. Their bodies have tests of
# their own; here, who is let in.
S_CODE, C_CODE = "E08000029", "E08000026"
OTHER_READS = {
    "/api/v1/cap-check/": {
        "?role=SW&date=2025-06-02&pay_rate=30.00&charge_rate=40.00": {p: 200 for p in ROLE},
    },
    "/api/v1/stats/workforce/": {
        "?source=official": {p: 200 for p in ROLE},
        f"?source=returns&authority={S_CODE}": {
            **{p: 200 for p in REGIONAL},
            "solihull": 200,
            "coventry": 403,
            "alpha": 403,
            "beta": 403,
        },
    },
    # The cost-benefit model: read by councils with the evaluation's or the region's figures; its inputs changed by
    # the coordinator and analysts only; not for agencies.
    "/api/v1/stats/cost-benefit/": {
        "?figures=region": {**{p: 200 for p in REGIONAL}, "solihull": 200, "coventry": 200, "alpha": 403, "beta": 403},
        "?agency_fte_change=0,0,0,-64,-64,-64": {**{p: 200 for p in REGIONAL}, **{p: 403 for p in TENANT}},
    },
    "/api/v1/dfe-returns/": {
        f"?authority={S_CODE}&quarter=2025-Q2": {
            **{p: 200 for p in REGIONAL},
            "solihull": 200,
            "coventry": 404,
            "alpha": 403,
            "beta": 403,
        },
    },
    # The world files no return: who is let in as far as "not filed" (404); the other council's authority is a 404
    # before that, an agency a 403.
    "/api/v1/dfe-returns/filed/": {
        f"?authority={S_CODE}&quarter=2025-Q1": {
            **{p: 404 for p in REGIONAL},
            "solihull": 404,
            "coventry": 404,
            "alpha": 403,
            "beta": 403,
        },
    },
    "/api/v1/mou-versions/{id}/what-if/": {
        "draft 0": {**{p: 200 for p in REGIONAL}, **{p: 404 for p in TENANT}},
        "in_force 0": {**{p: 400 for p in REGIONAL}, **{p: 403 for p in TENANT}},
    },
}
NOT_RESOURCES = {"/api/v1/auth/token/"}  # asking for a token: tests/api/test_tokens_api.py

# SPEC §7 "who writes": (method, path) -> the roles that may.
C, AN, CO, AG = User.Role.COORDINATOR, User.Role.ANALYST, User.Role.COUNCIL, User.Role.AGENCY
WRITERS = {
    ("post", "/api/v1/agencies/"): {C},
    ("patch", "/api/v1/agencies/{id}/"): {C},
    ("post", "/api/v1/roles/"): {C},
    ("patch", "/api/v1/roles/{code}/"): {C},
    ("post", "/api/v1/mou-versions/"): {C},
    ("patch", "/api/v1/mou-versions/{id}/"): {C},
    ("post", "/api/v1/mou-versions/{id}/bring-into-force/"): {C},
    ("post", "/api/v1/placements/"): {AG, C},
    ("post", "/api/v1/placements/check/"): {AG, C},
    ("patch", "/api/v1/placements/{id}/"): {AG, C},
    ("post", "/api/v1/placements/{id}/references/"): {AG, C},
    ("post", "/api/v1/project-teams/"): {CO, C},
    ("post", "/api/v1/permanent-leavers/"): {CO, C},
    ("post", "/api/v1/cap-exceptions/"): {CO, C},
    ("post", "/api/v1/dfe-returns/file/"): {CO, C},
    ("post", "/api/v1/timesheets/"): {AG},
    ("post", "/api/v1/timesheets/upload/"): {AG},
    ("post", "/api/v1/audit-runs/"): {C},
    ("post", "/api/v1/breaches/"): {CO, C},
    ("patch", "/api/v1/breaches/{id}/"): {C},
    ("post", "/api/v1/corrective-actions/"): {C},
    ("put", "/api/v1/corrective-actions/{id}/"): {C},
    ("patch", "/api/v1/corrective-actions/{id}/"): {C},
    ("post", "/api/v1/corrective-actions/{id}/issue/"): {C},
    ("post", "/api/v1/corrective-actions/{id}/sign/"): {AG},
    ("post", "/api/v1/corrective-actions/{id}/items/{item_id}/done/"): {C},
    ("post", "/api/v1/corrective-actions/{id}/complete/"): {C},
    ("post", "/api/v1/suspensions/"): {C},
    ("post", "/api/v1/suspensions/{id}/lift/"): {C},
    ("post", "/api/v1/workforce-returns/"): {CO, C},
    ("put", "/api/v1/workforce-returns/{id}/"): {CO, C},
    ("patch", "/api/v1/workforce-returns/{id}/"): {CO, C},
    ("post", "/api/v1/workforce-returns/upload/"): {CO, C},
}


def _csv(text):
    file = io.BytesIO(text.encode())
    file.name = "rows.csv"
    return file


def _placement_elsewhere(persona, w):
    return {
        "agency": w["agency B" if persona == "alpha" else "agency A"].pk,
        "authority": S_CODE,
        "role": "SW",
        "engagement_type": "paye",
        "worker_swe_number": "SW777001",
        "start_date": "2025-06-02",
        "pay_rate": "30.00",
        "on_costs": "4.00",
        "charge_rate": "40.00",
    }


# A tenant that may create naming another tenant instead of its own: (method, path) -> (persona, world -> request
# body, format). The answer must be a 400 and nothing stored.
CREATE_ELSEWHERE = {
    ("post", "/api/v1/placements/"): _placement_elsewhere,
    # The booking check of another agency's placement: refused as registering it is (it would read its standing).
    ("post", "/api/v1/placements/check/"): _placement_elsewhere,
    ("post", "/api/v1/permanent-leavers/"): lambda persona, w: {
        "authority": C_CODE if persona == "solihull" else S_CODE,
        "worker_swe_number": "SW777002",
        "left_on": "2025-01-31",
        "reason": "resignation",
    },
    ("post", "/api/v1/cap-exceptions/"): lambda persona, w: {
        "placement": w["placement A@C" if persona == "solihull" else "placement A@S"].pk,
        "signed_by_dcs": "A. Director",
        "signed_by_chief_executive": "B. Chief",
        "reason": "Hard to fill",
        "valid_until": "2026-03-31",
    },
    ("post", "/api/v1/timesheets/"): lambda persona, w: {
        "placement": w["placement B@S" if persona == "alpha" else "placement A@S"].pk,
        "week_ending": "2025-06-08",
        "lines": [{"date": "2025-06-02", "hours": "7.50", "pay_rate": "30.00", "charge_rate": "40.00"}],
    },
    ("post", "/api/v1/timesheets/upload/"): lambda persona, w: {
        "file": _csv(
            "placement,date,hours,pay_rate,charge_rate\n"
            f"{w['placement B@S' if persona == 'alpha' else 'placement A@S'].pk},2025-06-02,7.50,30.00,40.00\n"
        )
    },
    ("post", "/api/v1/breaches/"): lambda persona, w: {
        "agency": w["agency A"].pk,
        "placement": w["placement A@C" if persona == "solihull" else "placement A@S"].pk,
        "description": "Approached a worker in post",
    },
    ("post", "/api/v1/project-teams/"): lambda persona, w: {
        "authority": C_CODE if persona == "solihull" else S_CODE,
        "agency": w["agency A"].pk,
        "name": "Elsewhere",
        "service": "Assessments",
        "cost_of_service": "1000.00",
        "approved_by": "A. Director",
        "approved_on": "2025-01-06",
        "members": [{"worker_swe_number": "SW777003", "role": "SW", "cost": "1.00"}],
    },
    # Filing another council's return: 404, as reading it is (dfe.api.authority_asked), not a 400.
    ("post", "/api/v1/dfe-returns/file/"): lambda persona, w: {
        "authority": C_CODE if persona == "solihull" else S_CODE,
        "quarter": "2025-Q1",
    },
    ("post", "/api/v1/workforce-returns/"): lambda persona, w: {
        "authority": C_CODE if persona == "solihull" else S_CODE,
        "period_end": "2025-03-31",
        "permanent_fte": "100.00",
        "agency_fte": "20.00",
        "vacancies_fte": "10.00",
        "leavers_fte": "12.00",
    },
    ("post", "/api/v1/workforce-returns/upload/"): lambda persona, w: {
        "file": _csv(
            "authority,period_end,permanent_fte,agency_fte,vacancies_fte,leavers_fte\n"
            f"{C_CODE if persona == 'solihull' else S_CODE},2025-03-31,100.00,20.00,10.00,12.00\n"
        )
    },
}
MULTIPART = {("post", "/api/v1/timesheets/upload/"), ("post", "/api/v1/workforce-returns/upload/")}
CREATE_ELSEWHERE_STATUS = {("post", "/api/v1/dfe-returns/file/"): 404}  # the rest: 400


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The region, built once for the module inside a transaction that every test runs within and that is rolled
    back at the end; users come with their tokens."""
    with django_db_blocker.unblock(), transaction.atomic():
        agency_a, agency_b = AgencyFactory(name="Alpha Locums Ltd"), AgencyFactory(name="Beta Social Care Ltd")
        solihull, coventry = authority(S_CODE), authority(C_CODE)
        users = {
            "coordinator": UserFactory(username="coordinator", role=C),
            "analyst": UserFactory(username="analyst", role=AN),
            "solihull": UserFactory(username="solihull", role=CO, authority=solihull),
            "coventry": UserFactory(username="coventry", role=CO, authority=coventry),
            "alpha": UserFactory(username="alpha", role=AG, agency=agency_a),
            "beta": UserFactory(username="beta", role=AG, agency=agency_b),
        }
        world = build_world(
            coordinator=users["coordinator"], agency_a=agency_a, agency_b=agency_b, solihull=solihull, coventry=coventry
        )
        world.update({"agency A": agency_a, "agency B": agency_b})
        world["tokens"] = {name: Token.objects.create(user=user).key for name, user in users.items()}
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def as_persona(world, db):
    def client_for(persona):
        client = APIClient()
        if persona != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][persona]}")
        return client

    return client_for


@pytest.fixture(scope="module")
def schema_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method, path) for path, item in schema["paths"].items() for method in item}


def expected_ids(world, prefix, persona):
    name, label, reads = READS[prefix]
    model = apps.get_model(label)
    if reads[persona] == ALL:
        lookup = "code" if prefix in ("authorities", "roles") else "pk"
        return set(model.objects.values_list(lookup, flat=True))
    return {world[f"{name} {key}".strip()].pk for key in reads[persona]}


def all_world_ids(world, prefix):
    name, label, _ = READS[prefix]
    return {obj.pk for key, obj in world.items() if name and key.split(" ")[0] == name}


def lookup(prefix):
    return "code" if prefix in ("authorities", "roles") else "id"


# --- Every endpoint is covered


def test_every_endpoint_has_an_expectation(schema_operations):
    registered = {prefix for prefix, _, _ in router.registry}
    assert registered == set(READS), "a resource registered in the router needs its row in READS (and the reverse)"
    reads = {path for method, path in schema_operations if method == "get"}
    routed = {f"/api/v1/{prefix}/" for prefix in READS} | {
        f"/api/v1/{prefix}/{{{lookup(prefix)}}}/" for prefix in READS
    }
    assert reads - routed - set(OTHER_READS) == set(), "a GET endpoint needs its row in OTHER_READS"
    writes = {(method, path) for method, path in schema_operations if method != "get"} - {
        (m, p) for m, p in schema_operations if p in NOT_RESOURCES
    }
    assert writes == set(WRITERS), "a write operation needs its row in WRITERS (SPEC §7 'who writes')"
    tenant_creates = {op for op, roles in WRITERS.items() if "{" not in op[1] and roles & {CO, AG}}
    assert tenant_creates == set(CREATE_ELSEWHERE), "a create open to councils or agencies needs a CREATE_ELSEWHERE"


# --- Reads


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("prefix", list(READS))
def test_each_persona_reads_exactly_its_rows(world, as_persona, prefix, persona):
    client = as_persona(persona)
    response = client.get(f"/api/v1/{prefix}/?page_size=500")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    got = [row[lookup(prefix)] for row in body["results"]]
    expected = expected_ids(world, prefix, persona)
    assert set(got) == expected
    assert body["count"] == len(got) == len(expected)
    # Details: 200 for each row seen, 404 for every other row of the region.
    for pk in all_world_ids(world, prefix) | set(list(expected)[:2]):
        status = client.get(f"/api/v1/{prefix}/{pk}/").status_code
        assert status == (200 if pk in expected else 404), (prefix, persona, pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_anonymous_and_each_persona_get_the_other_read_endpoints_as_expected(world, as_persona, persona):
    client = as_persona(persona)
    got, expected = {}, {}
    for path, cases in OTHER_READS.items():
        for case, statuses in cases.items():
            if "{id}" in path:
                url = path.replace("{id}", str(world[f"mou-version {case}"].pk))
            else:
                url = path + case
            got[url] = client.get(url).status_code
            expected[url] = 401 if persona == "anonymous" else statuses[persona]
    assert got == expected


# --- Writes


def _url(world, path, persona):
    """The path with an object the persona can see where there is one (so that a 403 is the role's, not a hidden
    object's), else any object of the resource."""
    prefix = path.split("/")[3]
    if "{" not in path:
        return path
    if prefix in ("roles",):
        return path.replace("{code}", "SW")
    if prefix == "mou-versions":
        obj = world["mou-version draft 0"]
    else:
        visible = expected_ids(world, prefix, persona) if persona != "anonymous" else set()
        candidates = sorted(visible & all_world_ids(world, prefix)) or sorted(all_world_ids(world, prefix))
        obj_id = candidates[0]
        url = path.replace("{id}", str(obj_id))
        if "{item_id}" in url:
            action = apps.get_model("compliance.CorrectiveAction").objects.get(pk=obj_id)
            url = url.replace("{item_id}", str(action.items.first().pk))
        return url
    return path.replace("{id}", str(obj.pk))


def _snapshot():
    """Row counts and last changes of every table the API writes, to show that a refused write changed nothing."""
    labels = {label for _, label, _ in READS.values()} | {
        "placements.TimesheetLine",
        "placements.Worker",
        "placements.Reference",
        "placements.ProjectTeamMember",
        "dfe.FiledReturn",
    }
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in sorted(labels)}


# The coordinator writes everywhere: its writes are tested with each resource.
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "coordinator"])
@pytest.mark.parametrize("operation", sorted(WRITERS), ids=lambda op: f"{op[0].upper()} {op[1][8:]}")
def test_a_write_outside_the_role_or_scope_is_refused_and_changes_nothing(world, as_persona, operation, persona):
    method, path = operation
    writers = WRITERS[operation]
    client = as_persona(persona)
    before = _snapshot()
    fmt = "multipart" if operation in MULTIPART else "json"

    def send(url, body=None):
        return getattr(client, method)(url, body or {}, format=fmt)

    if persona == "anonymous":
        assert send(_url(world, path, persona)).status_code == 401
    elif ROLE[persona] not in writers:
        assert send(_url(world, path, persona)).status_code == 403
    elif persona in TENANT and "{" in path:
        # A writer's own rows are tested elsewhere; here every row of the resource it cannot see is a 404.
        prefix = path.split("/")[3]
        hidden = all_world_ids(world, prefix) - expected_ids(world, prefix, persona)
        assert hidden, f"the world has no {prefix} outside {persona}'s scope"
        for pk in sorted(hidden):
            url = path.replace("{id}", str(pk)).replace("{item_id}", "1")
            assert send(url).status_code == 404, url
    else:
        response = send(path, CREATE_ELSEWHERE[operation](persona, world))
        assert response.status_code == CREATE_ELSEWHERE_STATUS.get(operation, 400), response.content
    assert _snapshot() == before
