"""Saved views: a person keeps a list page's filters under a name of their own; nobody else sees or removes them."""

import pytest

from accounts.models import SavedView

pytestmark = pytest.mark.django_db


def save(client, name, query, list_name="compliance:breaches"):
    return client.post("/saved-views/", {"list_name": list_name, "view_name": name, "query": query}, follow=True)


def test_a_coordinator_saves_the_queues_filters_and_finds_them_above_the_queue(client, coordinator):
    client.force_login(coordinator)
    page = client.get("/breaches/?status=unresolved&assignee=none&page=3").content.decode()
    assert 'name="query" value="status=unresolved&amp;assignee=none"' in page  # no page number kept

    response = save(client, "  Unassigned   open ", "status=unresolved&assignee=none&page=3")

    assert response.redirect_chain[-1][0] == "/breaches/?status=unresolved&assignee=none"
    view = SavedView.objects.get()
    assert (view.name, view.query, view.user) == ("Unassigned open", "status=unresolved&assignee=none", coordinator)
    page = response.content.decode()
    assert "Saved this view as “Unassigned open”." in page
    assert 'href="/breaches/?status=unresolved&amp;assignee=none" aria-current="page">Unassigned open</a>' in page
    assert "Remove this saved view" in page


def test_saving_a_name_again_replaces_its_filters_rather_than_keeping_two(client, coordinator):
    client.force_login(coordinator)
    save(client, "Mine", "assignee=me")
    response = save(client, "Mine", "assignee=me&sort=detected")
    assert "“Mine” now keeps these filters." in response.content.decode()
    assert list(SavedView.objects.values_list("name", "query")) == [("Mine", "assignee=me&sort=detected")]


@pytest.mark.parametrize(
    ("name", "query", "list_name", "said"),
    [
        ("", "status=open", "compliance:breaches", "Give the view a name"),
        ("x" * 61, "status=open", "compliance:breaches", "The name is too long: 60 characters at most."),
        ("All", "page=2", "compliance:breaches", "Choose some filters first"),
        ("Sneaky", "status=open", "admin:index", "That list cannot keep saved views."),
    ],
)
def test_a_view_that_cannot_be_saved_says_why_and_saves_nothing(client, coordinator, name, query, list_name, said):
    client.force_login(coordinator)
    response = save(client, name, query, list_name)
    assert said in response.content.decode()
    assert not SavedView.objects.exists()


def test_another_persons_saved_views_are_neither_shown_nor_removable(client, coordinator, agency_user):
    client.force_login(coordinator)
    save(client, "Big cases", "severity=serious")
    view = SavedView.objects.get()

    client.force_login(agency_user)
    assert "Big cases" not in client.get("/breaches/").content.decode()
    assert client.post(f"/saved-views/{view.pk}/remove/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()

    client.force_login(coordinator)
    response = client.post(f"/saved-views/{view.pk}/remove/", follow=True)
    assert "Removed the saved view “Big cases”." in response.content.decode()
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    "url", ["/placements/?state=active", "/corrective-actions/?status=issued", "/queries/?state=unanswered"]
)
def test_every_big_list_offers_to_save_its_filters(client, coordinator, url):
    client.force_login(coordinator)
    assert "Save these filters as" in client.get(url).content.decode()


def test_an_empty_queue_says_when_no_audit_has_run(client, coordinator):
    client.force_login(coordinator)
    page = client.get("/breaches/").content.decode()
    assert "No audit has run yet" in page and "run one now" in page
