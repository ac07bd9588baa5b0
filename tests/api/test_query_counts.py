"""Query counts of every list endpoint, pinned, and the same for 1 and 10 copies of the region's rows (no N+1).

Each count includes what every API read costs: the savepoint of ATOMIC_REQUESTS and its release (2) and the token
with its user (1). A list adds its `count(*)` and the page itself; the rest is each endpoint's prefetches, named in
PINNED. A new list endpoint without a pin fails `test_every_list_endpoint_has_a_pinned_count`.
"""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from futuresocial.api.urls import router
from tests.api.world import build_world
from tests.factories import AgencyFactory, UserFactory, authority

S_CODE, C_CODE = "E08000029", "E08000026"
COPIES = 10
EVERY_READ = 3  # savepoint, token and user, release

# endpoint -> (queries for the coordinator, what they are beyond EVERY_READ)
PINNED = {
    "authorities/": (5, "count, page"),
    "roles/": (5, "count, page"),
    "agencies/": (5, "count, page"),
    "mou-versions/": (6, "count, page, caps joined to roles"),
    "placements/": (6, "count, page joined to authority, role, worker, references"),
    "project-teams/": (6, "count, page joined to authority and agency, members joined to worker and role"),
    "permanent-leavers/": (5, "count, page joined to authority, worker"),
    "cap-exceptions/": (5, "count, page"),
    "timesheets/": (6, "count, page, current lines"),
    "audit-runs/": (5, "count, page"),
    "breaches/": (5, "count, page joined to authority, assignee"),
    "corrective-actions/": (7, "count, page, breach ids in scope, items"),
    "suspensions/": (6, "count, page joined to imposer and lifter, breach ids in scope"),
    "workforce-returns/": (5, "count, page joined to authority"),
    # Not lists, but their answers grow with the rows too.
    f"stats/workforce/?source=returns&authority={S_CODE}": (5, "the authority, its returns by period end"),
    f"dfe-returns/?authority={S_CODE}&quarter=2025-Q2": (9, "the authority among the caller's, the return's sections"),
}
PERSONAS = ("coordinator", "solihull", "alpha")

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker):
    """Queries per endpoint and persona with one copy of the region's rows, then with COPIES copies."""
    with django_db_blocker.unblock(), transaction.atomic():
        agency_a, agency_b = AgencyFactory(name="Alpha Locums Ltd"), AgencyFactory(name="Beta Social Care Ltd")
        solihull, coventry = authority(S_CODE), authority(C_CODE)
        users = {
            "coordinator": UserFactory(username="coordinator", role=User.Role.COORDINATOR),
            "solihull": UserFactory(username="solihull", role=User.Role.COUNCIL, authority=solihull),
            "alpha": UserFactory(username="alpha", role=User.Role.AGENCY, agency=agency_a),
        }
        clients = {}
        for name, user in users.items():
            clients[name] = APIClient()
            clients[name].credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        region = dict(coordinator=users["coordinator"], agency_a=agency_a, agency_b=agency_b)
        region.update(solihull=solihull, coventry=coventry)

        def measure():
            measured = {}
            for endpoint in PINNED:
                for persona, client in clients.items():
                    with CaptureQueriesContext(connection) as queries:
                        response = client.get(f"/api/v1/{endpoint}{'&' if '?' in endpoint else '?'}page_size=500")
                    body = response.json() if response.status_code == 200 else {}
                    rows = body.get("count", len(body.get("series", body.get("placements", []))))
                    measured[endpoint, persona] = (len(queries), response.status_code, rows)
            return measured

        build_world(**region, copy=0)
        small = measure()
        for copy in range(1, COPIES):
            build_world(**region, copy=copy)
        large = measure()
        yield small, large
        transaction.set_rollback(True)


def test_every_list_endpoint_has_a_pinned_count():
    assert {f"{prefix}/" for prefix, _, _ in router.registry} <= set(PINNED)


@pytest.mark.parametrize("endpoint", list(PINNED))
def test_the_query_count_is_pinned_and_the_same_for_10_times_the_rows(counts, endpoint):
    small, large = counts
    pinned, _ = PINNED[endpoint]
    coordinator_small, status, rows_small = small[endpoint, "coordinator"]
    coordinator_large, _, rows_large = large[endpoint, "coordinator"]
    assert status == 200
    assert coordinator_small == pinned
    assert coordinator_large == coordinator_small
    # The list did grow (the count is not constant because nothing was there to list).
    assert rows_large > rows_small or endpoint in ("authorities/", "roles/", "agencies/", "audit-runs/")
    for persona in PERSONAS[1:]:
        queries_small, status_small, _ = small[endpoint, persona]
        queries_large, status_large, _ = large[endpoint, persona]
        assert status_small == status_large
        assert queries_large == queries_small, (persona, queries_small, queries_large)
