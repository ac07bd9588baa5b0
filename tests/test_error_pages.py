"""The pages people see when something is refused, missing or broken (GOV.UK patterns: say what happened and where to
go), and the navigation that says where you are."""

from django.test import RequestFactory
from django.views.defaults import server_error

import pytest

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_inside_the_site(client, council_user):
    client.force_login(council_user)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found · " in page and 'class="skip-link"' in page
    assert '<a href="/">Go to your home page</a>' in page


def test_a_refusal_says_why_and_where_to_go(client, agency_user):
    client.force_login(agency_user)
    response = client.get("/project-teams/new/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>You cannot do this</h1>" in page
    assert "Only a council (for its own teams) or the workforce coordinator can record a team." in page


def test_a_server_error_says_nothing_was_saved_and_needs_no_database():
    response = server_error(RequestFactory().get("/placements/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page and "it was not saved" in page


@pytest.mark.parametrize(
    ("path", "current"),
    [("/", "Home"), ("/placements/", "Placements"), ("/project-teams/", "Project teams"), ("/breaches/", "Breaches")],
)
def test_the_navigation_marks_the_section_shown(client, council_user, path, current):
    client.force_login(council_user)
    page = client.get(path).content.decode()
    nav = page[page.index('<nav aria-label="Main">') :]
    nav = nav[: nav.index("</nav>")]
    assert nav.count('aria-current="page"') == 1
    assert f'aria-current="page">{current}</a>' in nav
    assert ">DfE return</a>" in nav  # a council's return is in its navigation
