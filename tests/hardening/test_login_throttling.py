"""Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
pair is locked out for AXES_COOLOFF_TIME, with a message saying so, on the sign-in page and the API token endpoint."""

from django.conf import settings
from django.test import Client

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, password, *, username="alpha", address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def ask_token(client, password, *, username="alpha", address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_the_limit_is_five_failures_for_thirty_minutes():
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()) == (5, 1800)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_after_five_wrong_passwords_even_the_right_one_is_refused_with_a_message(agency_user):
    client = Client()
    for attempt in range(1, LIMIT):
        response = sign_in(client, "wrong-guess")
        assert response.status_code == 200, attempt  # the form again, "Please enter a correct username..."
        assert "Too many failed sign-ins" not in response.content.decode()
    response = sign_in(client, "wrong-guess")  # the fifth
    assert response.status_code == 429
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins: after 5 wrong passwords for this username from your address" in page
    assert "Try again in 30 minutes" in page
    assert '<form class="stacked" method="post"' in page  # still the sign-in page
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="alpha", ip_address="10.0.0.1").failures_since_start == LIMIT + 1


def test_the_lockout_is_for_that_username_from_that_address_only(agency_user, other_agency_user):
    for _ in range(LIMIT):
        sign_in(Client(), "wrong-guess")
    assert sign_in(Client(), PASSWORD).status_code == 429
    assert sign_in(Client(), PASSWORD, address="10.0.0.2").status_code == 302  # the same user elsewhere
    assert sign_in(Client(), PASSWORD, username="beta").status_code == 302  # another user from the same address


def test_a_successful_sign_in_before_the_limit_clears_the_count(agency_user):
    for _ in range(LIMIT - 1):
        sign_in(Client(), "wrong-guess")
    assert sign_in(Client(), PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        sign_in(Client(), "wrong-guess")
    assert sign_in(Client(), PASSWORD).status_code == 302


# Committed as in production: the token view is not atomic, so a refusal's rollback cannot take the count with it.
@pytest.mark.django_db(transaction=True)
def test_the_api_token_endpoint_is_throttled_the_same_way(agency_user):
    client = APIClient()
    for _ in range(LIMIT - 1):
        response = ask_token(client, "wrong-guess")
        assert response.status_code == 400
    assert ask_token(client, "wrong-guess").status_code == 429
    response = ask_token(client, PASSWORD)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many failed sign-ins: after 5 wrong passwords")
    assert ask_token(APIClient(), PASSWORD, address="10.0.0.9").status_code == 200


# Committed as in production: the token view is not atomic, so a refusal's rollback cannot take the count with it.
@pytest.mark.django_db(transaction=True)
def test_failures_at_the_api_and_on_the_page_add_up(agency_user):
    for _ in range(LIMIT - 1):
        ask_token(APIClient(), "wrong-guess")
    assert sign_in(Client(), "wrong-guess").status_code == 429


def test_the_admin_sign_in_is_throttled_too(coordinator):
    for _ in range(LIMIT):
        Client().post("/admin/login/", {"username": "coordinator", "password": "x"}, REMOTE_ADDR="10.0.0.1")
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": "coordinator", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429


def test_the_test_clients_login_and_force_login_still_work(client, agency_user):
    # Other tests sign in with these: they pass no request to authenticate(), which axes' own backend refuses.
    assert client.login(username="alpha", password=PASSWORD) is True
    assert client.get("/").status_code == 200
    client.logout()
    assert client.login(username="alpha", password="wrong") is False
    client.force_login(agency_user)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("setting", ["AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES"])
def test_the_limits_come_from_the_environment(setting):
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()))"
    import os

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "futuresocial.settings", setting: "3"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == (["3", "1800"] if setting == "AXES_FAILURE_LIMIT" else ["5", "180"])
