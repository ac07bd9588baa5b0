"""A form sent twice is one submission (issue 17, point 2): every page's POST form carries a `submission` token
(`{% submission_token %}`); a second POST with the same token and the same answers does not run the view again but
goes where the first went, even when both arrive at once. Records with no natural "same" (a note on a case) are the
ones that need it; a changed answer, or a first attempt refused with errors, is a new submission."""

import re

from django.test import Client

import pytest

from compliance.models import BreachNote
from tests.factories import BreachFactory
from tests.test_one_record_per_intent import at_once

TOKEN = re.compile(r'<input type="hidden" name="submission" value="([0-9a-f]{32})">')


def token_on(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    found = TOKEN.findall(page.content.decode())
    assert found, "the page's forms carry no submission token"
    return found[-1]


@pytest.fixture
def case(agency_a, solihull):
    return BreachFactory(agency=agency_a, authority=solihull)


@pytest.mark.django_db
def test_every_form_on_a_page_carries_a_token_of_its_own(client, coordinator, case):
    client.force_login(coordinator)
    page = client.get(f"/breaches/{case.pk}/").content.decode()
    tokens = TOKEN.findall(page)
    forms = page.count('method="post"')
    assert len(tokens) == forms >= 4  # status, assign, severity, note (and sign out)
    assert len(set(tokens)) == len(tokens)


@pytest.mark.django_db
def test_a_double_click_adds_one_note_and_both_land_on_the_case(client, coordinator, case):
    client.force_login(coordinator)
    token = token_on(client, f"/breaches/{case.pk}/")
    body = {"text": "Rang the agency: they will repay.", "submission": token}
    first = client.post(f"/breaches/{case.pk}/notes/", body)
    second = client.post(f"/breaches/{case.pk}/notes/", body)
    assert first.status_code == 302
    assert second.status_code == 303
    assert second["Location"] == first["Location"]
    assert BreachNote.objects.filter(breach=case).count() == 1
    shown = client.get(second["Location"]).content.decode()
    assert "That form was already sent" in shown


@pytest.mark.django_db
def test_without_a_token_each_post_is_its_own_submission(client, coordinator, case):
    # API clients and scripts that post without the page keep today's behaviour.
    client.force_login(coordinator)
    for _ in range(2):
        client.post(f"/breaches/{case.pk}/notes/", {"text": "Rang the agency."})
    assert BreachNote.objects.filter(breach=case).count() == 2


@pytest.mark.django_db
def test_a_changed_answer_with_the_same_token_is_a_new_submission(client, coordinator, case):
    # Back, change the words, send again: the person meant a second note.
    client.force_login(coordinator)
    token = token_on(client, f"/breaches/{case.pk}/")
    client.post(f"/breaches/{case.pk}/notes/", {"text": "First.", "submission": token})
    client.post(f"/breaches/{case.pk}/notes/", {"text": "Second.", "submission": token})
    assert sorted(BreachNote.objects.values_list("text", flat=True)) == ["First.", "Second."]


@pytest.mark.django_db
def test_a_refused_attempt_does_not_hold_the_token(client, council_user, agency_a):
    # A form shown again with its errors is judged again when sent again, not sent to a stored result.
    client.force_login(council_user)
    token = token_on(client, "/breaches/report/")
    body = {"agency": agency_a.pk, "description": "", "submission": token}
    refused = client.post("/breaches/report/", body)
    again = client.post("/breaches/report/", body)
    assert refused.status_code == again.status_code == 200
    assert "There is a problem" in again.content.decode()


@pytest.mark.django_db
def test_another_user_with_the_same_token_is_not_sent_to_the_first_ones_result(
    client, coordinator, council_user, case, agency_a
):
    client.force_login(coordinator)
    token = token_on(client, f"/breaches/{case.pk}/")
    client.post(f"/breaches/{case.pk}/notes/", {"text": "Noted.", "submission": token})
    other = Client()
    other.force_login(council_user)
    answer = other.post(f"/breaches/{case.pk}/notes/", {"text": "Noted.", "submission": token})
    assert answer.status_code == 302
    assert BreachNote.objects.filter(breach=case).count() == 2


@pytest.mark.django_db(transaction=True)
def test_four_clicks_at_once_add_one_note(coordinator, case):
    seen = Client()
    seen.force_login(coordinator)
    token = token_on(seen, f"/breaches/{case.pk}/")

    def click():
        browser = Client()
        browser.cookies = seen.cookies  # the same browser, four requests
        return browser.post(f"/breaches/{case.pk}/notes/", {"text": "Agreed.", "submission": token}).status_code

    assert sorted(at_once(4, click)) == [302, 303, 303, 303]
    assert BreachNote.objects.filter(breach=case).count() == 1


@pytest.mark.django_db
def test_with_the_cache_down_a_form_is_still_judged_and_stored(client, coordinator, case, settings):
    client.force_login(coordinator)
    token = token_on(client, f"/breaches/{case.pk}/")
    # A Redis nobody listens at: every cache call is refused, as when Redis is stopped.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    answer = client.post(f"/breaches/{case.pk}/notes/", {"text": "Rang the agency.", "submission": token})
    assert answer.status_code == 302
    assert BreachNote.objects.filter(breach=case).count() == 1


@pytest.mark.django_db
def test_a_refusal_answered_with_a_redirect_does_not_hold_the_token(client, coordinator, case):
    # The case actions refuse with an error message and a redirect: sent again, the form is judged again.
    client.force_login(coordinator)
    token = token_on(client, f"/breaches/{case.pk}/")
    body = {"status": "dismissed", "reason": "", "submission": token}  # dismissing needs a reason
    first = client.post(f"/breaches/{case.pk}/status/", body)
    again = client.post(f"/breaches/{case.pk}/status/", body)
    assert first.status_code == again.status_code == 302  # both judged by the view (a repeat would be a 303)
