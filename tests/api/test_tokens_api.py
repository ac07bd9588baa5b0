"""API tokens (SPEC §7): asked for with a password, sent as `Token <key>`, revoked by their user or in the admin, and
the token endpoint and writes throttled per user with a clear 429."""

from datetime import timedelta

from django.utils import timezone

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.api.test_reference_api import PASSWORD, token_client

pytestmark = pytest.mark.django_db


def test_without_a_token_the_api_answers_401_and_says_how_to_authenticate():
    response = APIClient().get("/api/v1/placements/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_made_up_token_is_401_not_403():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/breaches/").status_code == 401
    assert client.post("/api/v1/breaches/", {}, format="json").status_code == 401


def test_the_token_is_returned_as_token_and_is_the_same_until_revoked(council_user):
    first = APIClient().post("/api/v1/auth/token/", {"username": "solihull", "password": PASSWORD}, format="json")
    second = APIClient().post("/api/v1/auth/token/", {"username": "solihull", "password": PASSWORD}, format="json")
    assert first.status_code == second.status_code == 200
    assert list(first.json()) == ["token"]
    assert first.json() == second.json() == {"token": Token.objects.get(user=council_user).key}


def test_deleting_the_token_revokes_it(council_user):
    client = token_client(council_user)
    assert client.get("/api/v1/placements/").status_code == 200
    response = client.delete("/api/v1/auth/token/")
    assert response.status_code == 204
    assert not Token.objects.filter(user=council_user).exists()
    assert client.get("/api/v1/placements/").status_code == 401
    # A new one is a different key.
    assert token_client(council_user).get("/api/v1/placements/").status_code == 200


# The token view runs outside the request's transaction (futuresocial.security.login_throttled): a refusal there
# marks a test's own transaction for rollback, so tests that read the database after one are transactional.
@pytest.mark.django_db(transaction=True)
def test_revoking_without_a_token_is_401_and_revokes_nothing(council_user):
    token_client(council_user)
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
    assert Token.objects.filter(user=council_user).count() == 1


def test_one_user_revoking_leaves_other_users_tokens_working(council_user, other_council_user):
    solihull, coventry = token_client(council_user), token_client(other_council_user)
    assert solihull.delete("/api/v1/auth/token/").status_code == 204
    assert coventry.get("/api/v1/placements/").status_code == 200


def test_the_admin_revokes_the_selected_tokens(client, coordinator, council_user, other_council_user):
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    solihull, coventry = token_client(council_user), token_client(other_council_user)
    client.force_login(coordinator)
    response = client.post(
        "/admin/authtoken/tokenproxy/",
        {"action": "revoke_tokens", "_selected_action": [Token.objects.get(user=council_user).key]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Revoked 1 API token (solihull)." in response.content.decode()
    assert solihull.get("/api/v1/placements/").status_code == 401
    assert coventry.get("/api/v1/placements/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_token_endpoint_is_throttled_per_username_with_a_clear_429(settings, council_user, other_council_user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"write": "100/minute", "token": "3/minute"},
    }
    wrong = {"username": "solihull", "password": "guess"}
    statuses = [APIClient().post("/api/v1/auth/token/", wrong, format="json").status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    refused = APIClient().post("/api/v1/auth/token/", {"username": "solihull", "password": PASSWORD}, format="json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith(
        "Too many requests: at most 3 token requests for one user from one address per minute"
    )
    # Another user is not held up by guesses at solihull's password.
    other = {"username": "coventry", "password": PASSWORD}
    assert APIClient().post("/api/v1/auth/token/", other, format="json").status_code == 200


def test_writes_are_throttled_per_user_and_reads_are_not(settings, coordinator, analyst):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"write": "2/minute", "token": "100/minute"},
    }
    client = token_client(coordinator)
    role = {"name": "Practice educator", "capped": True}
    statuses = [client.post("/api/v1/roles/", {**role, "code": f"PE{n}"}, format="json").status_code for n in range(3)]
    assert statuses == [201, 201, 429]
    refused = client.post("/api/v1/roles/", {**role, "code": "PE9"}, format="json")
    assert refused.json()["detail"].startswith("Too many requests: at most 2 changes through the API per minute")
    assert "Retry-After" in refused
    assert all(client.get("/api/v1/roles/").status_code == 200 for _ in range(5))
    # The analyst's writes count apart from the coordinator's (and are refused for their role, not throttled).
    assert token_client(analyst).post("/api/v1/roles/", {**role, "code": "PE8"}, format="json").status_code == 403


def test_the_cache_the_throttles_count_in_is_shared_by_every_web_worker():
    from futuresocial import settings as project_settings

    backend = project_settings.CACHES["default"]["BACKEND"]
    if project_settings.REDIS_URL:
        assert backend == "django.core.cache.backends.redis.RedisCache"
        assert project_settings.CACHES["default"]["LOCATION"] == project_settings.REDIS_URL
    else:
        assert backend == "django.core.cache.backends.filebased.FileBasedCache"


# --- Tokens die with the password and expire unless used; guesses lock out a username from one address only


def test_a_token_dies_with_a_password_change(council_user):
    client = token_client(council_user)
    old = Token.objects.get(user=council_user).key
    assert client.get("/api/v1/placements/").status_code == 200
    council_user.set_password("a new long passphrase 2026")
    council_user.save()
    response = client.get("/api/v1/placements/")
    assert response.status_code == 401
    assert response.json() == {"detail": "The token was issued before the password changed: ask for a new one."}
    renewed = APIClient().post(
        "/api/v1/auth/token/", {"username": "solihull", "password": "a new long passphrase 2026"}, format="json"
    )
    assert renewed.status_code == 200
    assert renewed.json()["token"] != old
    assert list(Token.objects.filter(user=council_user).values_list("key", flat=True)) == [renewed.json()["token"]]


def test_a_token_unused_for_longer_than_its_age_expires_and_a_new_one_is_issued(settings, council_user):
    settings.API_TOKEN_MAX_AGE = timedelta(days=30)
    client = token_client(council_user)
    token = Token.objects.get(user=council_user)
    User.objects.filter(pk=council_user.pk).update(password_changed_at=None)  # set long ago
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=31))
    response = client.get("/api/v1/placements/")
    assert response.status_code == 401
    assert response.json() == {"detail": "The token has expired (unused for 30 days): ask for a new one."}
    again = APIClient().post("/api/v1/auth/token/", {"username": "solihull", "password": PASSWORD}, format="json")
    assert again.status_code == 200
    assert again.json()["token"] != token.key


def test_using_a_token_renews_it(settings, council_user):
    settings.API_TOKEN_MAX_AGE = timedelta(days=30)
    client = token_client(council_user)
    token = Token.objects.get(user=council_user)
    User.objects.filter(pk=council_user.pk).update(password_changed_at=None)  # set long ago
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=29))
    assert client.get("/api/v1/placements/").status_code == 200
    assert timezone.now() - Token.objects.get(pk=token.pk).created < timedelta(minutes=1)


def test_a_token_asked_for_again_after_it_expired_is_a_new_one(settings, council_user):
    settings.API_TOKEN_MAX_AGE = timedelta(days=30)
    token_client(council_user)
    old = Token.objects.get(user=council_user)
    User.objects.filter(pk=council_user.pk).update(password_changed_at=None)  # set long ago
    Token.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=31))
    again = APIClient().post("/api/v1/auth/token/", {"username": "solihull", "password": PASSWORD}, format="json")
    assert again.json()["token"] != old.key


@pytest.mark.django_db(transaction=True)
def test_guesses_from_one_address_do_not_lock_the_user_out_from_another(settings, council_user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"write": "100/minute", "token": "3/minute"},
    }
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    wrong = {"username": "solihull", "password": "guess"}
    assert [attacker.post("/api/v1/auth/token/", wrong, format="json").status_code for _ in range(4)][-1] == 429
    # A forged X-Forwarded-For does not give the attacker a fresh count (the app is not behind a proxy here).
    forged = attacker.post("/api/v1/auth/token/", wrong, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert forged.status_code == 429
    owner = APIClient(REMOTE_ADDR="192.0.2.20")
    response = owner.post("/api/v1/auth/token/", {"username": "solihull", "password": PASSWORD}, format="json")
    assert response.status_code == 200
