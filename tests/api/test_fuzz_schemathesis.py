"""Schemathesis against the live schema (SPEC §7): every operation, up to 25 generated requests each (valid and
invalid), derandomized so that CI sees the same ones every run, as the coordinator and as a council user, over a
small region of real rows. No answer may be a 5xx, and each must be documented: its status code, content type,
headers and body as the schema says.

Path ids are drawn half the time from the rows that exist, so operations on one object reach the view, not only
its 404. Each operation's test starts from the same rows: what one writes is rolled back before the next.
"""

import json

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, transaction

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from tests.api.world import build_world
from tests.factories import AgencyFactory, UserFactory, authority

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def region(django_db_setup, django_db_blocker):
    """The region, built once for the module in a transaction rolled back at its end; each operation's test runs
    in a savepoint of it (the `db` fixture), so what one operation writes is gone for the next."""
    # Requests reach the app through its WSGI handler, which closes the database connection when a request ends
    # (and with it this transaction): as Django's test client does, keep the connection for the test's duration.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock(), transaction.atomic():
        agency_a, agency_b = AgencyFactory(name="Alpha Locums Ltd"), AgencyFactory(name="Beta Social Care Ltd")
        solihull, coventry = authority("E08000029"), authority("E08000026")
        coordinator = UserFactory(username="coordinator", role=User.Role.COORDINATOR)
        council = UserFactory(username="solihull", role=User.Role.COUNCIL, authority=solihull)
        UserFactory(username="alpha", role=User.Role.AGENCY, agency=agency_a)
        world = build_world(
            coordinator=coordinator, agency_a=agency_a, agency_b=agency_b, solihull=solihull, coventry=coventry
        )
        world.update({"agency A": agency_a, "agency B": agency_b})
        tokens = {
            "coordinator": Token.objects.create(user=coordinator).key,
            "council": Token.objects.create(user=council).key,
        }
        existing_ids.update(_ids_by_resource(world))
        yield tokens
        transaction.set_rollback(True)
    for persona in ("coordinator", "council"):
        sent = {key[1:]: count for key, count in REQUESTS.items() if key[0] == persona}
        print(f"\nschemathesis as the {persona}: {len(sent)} operations, {sum(sent.values())} requests")
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(settings):
    # Throttles would turn most of the run into 429s: the run is about what the views answer.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"write": "100000/minute", "token": "100000/minute"},
    }
    settings.AXES_ENABLED = False


def _ids_by_resource(world) -> dict:
    prefixes = {
        "mou-version": "mou-versions",
        "agency": "agencies",
        "corrective-action": "corrective-actions",
        "audit-run": "audit-runs",
        "breach": "breaches",
    }
    ids = {}
    for name, obj in world.items():
        kind = name.split(" ")[0]
        ids.setdefault(prefixes.get(kind, kind + "s"), []).append(obj.pk)
    ids["items"] = [
        item.pk for key, action in world.items() if key.startswith("corrective-action") for item in action.items.all()
    ]
    return {prefix: sorted(values) for prefix, values in ids.items()}


# The schema the app serves (test_the_fuzzed_schema_is_the_one_served checks they are the same), loaded when the
# tests are collected; requests go to the app in-process (WSGI), inside each test's transaction.
served = SchemaGenerator().get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(served, cls=DjangoJSONEncoder)))
schema.app = WSGIHandler()
existing_ids: dict[str, list] = {}  # filled by the `region` fixture, read while generating


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half the time an object that exists (a path of one object would otherwise nearly always be a 404)."""
    path = context.operation.path
    prefix = path.split("/")[3]
    existing = {}
    if "{id}" in path and prefix in existing_ids:
        existing["id"] = st.sampled_from(existing_ids[prefix])
    if "{code}" in path:
        existing["code"] = st.sampled_from(["SW", "TM", "SM", "E08000029", "E08000026"])
    if "{item_id}" in path:
        existing["item_id"] = st.sampled_from(existing_ids["items"])
    return st.one_of(st.fixed_dictionaries(existing), strategy) if existing else strategy


# Findings in code this suite does not own, reported to its owner: these operations still run every example, and
# are marked xfail (not strict) until fixed (tests/api/conftest.py reads this).
KNOWN_FINDINGS: dict[str, str] = {}  # "METHOD path" -> why; none open
REQUESTS = {}  # (persona, "METHOD path") -> requests sent


def call(case, token, persona):
    key = (persona, f"{case.operation.method.upper()} {case.operation.path}")
    REQUESTS[key] = REQUESTS.get(key, 0) + 1
    _call(case, token)


def _call(case, token):
    checks = CHECKS
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY):
        # DRF reads JSON bodies leniently by design (a number for a text field, "5" for a whole number): an invalid
        # body must get no 5xx and a documented answer, but may be accepted. Parameters must be rejected.
        checks = [check for check in CHECKS if check is not negative_data_rejection]
    # A savepoint per request: the token endpoint answers outside the request's transaction, and DRF marks the
    # transaction it is in for rollback when it refuses; this keeps that to the one request.
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_one_served(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.json() == json.loads(json.dumps(served, cls=DjangoJSONEncoder))


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_the_api_answers_as_documented_to_the_coordinator(case, region, unthrottled):
    call(case, region["coordinator"], "coordinator")


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_the_api_answers_as_documented_to_a_council(case, region, unthrottled):
    call(case, region["council"], "council")
