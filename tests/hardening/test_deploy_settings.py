"""Production settings (SPEC §6): the deploy check passes, secrets come from the environment, every page carries a
strict Content-Security-Policy that its own markup satisfies, every form carries a CSRF token, sessions end."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command

import pytest

from accounts.models import User
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent.parent
TEMPLATES = BASE_DIR / "templates"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def manage(*args, **env_overrides):
    """Run manage.py in a fresh process with the environment a production host would set."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "futuresocial.settings", **env_overrides}
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
    )


# Only what a production host must say: DEBUG off, a key and its host. HTTPS is not set (None drops the tests' own
# HTTPS=false from the environment): with DEBUG off it is the default.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "mou.example.org",
    "HTTPS": None,
    "SECURE_SSL_REDIRECT": None,
    "SECURE_HSTS_SECONDS": None,
}


def test_the_deploy_check_passes_with_no_warning_given_only_debug_off_a_key_and_hosts():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_passes_before_the_database_is_migrated():
    """A host runs `check --deploy` before `migrate`: the API schema it builds names the region, which then is the
    default (it failed with "relation region_region does not exist")."""
    from urllib.parse import urlsplit, urlunsplit

    url = settings.DATABASES["default"]
    empty = urlunsplit(
        urlsplit(f"postgres://{url['USER']}@{url['HOST'] or '127.0.0.1'}:{url['PORT'] or 5432}/")._replace(
            path="/futuresocial_never_migrated"
        )
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=empty, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_debug_off_https_is_the_default_redirect_secure_cookies_and_hsts():
    code = (
        "from django.conf import settings as s;"
        "print(s.HTTPS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    result = manage("shell", "--no-imports", "-c", code, **PRODUCTION)
    assert result.stdout.split() == ["True", "True", "True", "True", "31536000"], result.stderr


def test_with_debug_on_plain_http_is_the_default():
    code = "from django.conf import settings as s; print(s.HTTPS)"
    result = manage("shell", "--no-imports", "-c", code, DEBUG="true", HTTPS=None)
    assert result.stdout.split() == ["False"], result.stderr


def test_the_test_run_asks_for_plain_http_explicitly():
    assert os.environ["HTTPS"] == "false"
    assert settings.HTTPS is False and settings.SESSION_COOKIE_SECURE is False


def test_every_plain_http_runner_sets_https_false_and_says_so():
    for path in ("scripts/test.sh", "scripts/run_demo.py", "bench/common.py", "bench/load.py", "docker-compose.yml"):
        text = (BASE_DIR / path).read_text()
        assert "HTTPS" in text and "false" in text, path


def test_without_https_the_deploy_check_names_the_missing_protections():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": "false"})
    # Plain HTTP is allowed when asked for, and the deploy check then says what is missing.
    assert result.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, redirect, cookies
        assert warning in result.stderr


def test_the_settings_refuse_to_start_with_debug_off_and_no_secret_key():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": None})
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


def test_a_developer_key_is_used_only_with_debug_on():
    result = manage("diffsettings", "--all", DEBUG="true", SECRET_KEY=None)
    assert result.returncode == 0, result.stderr
    assert "SECRET_KEY = 'dev-only-insecure-key" in result.stdout


# --- Headers on the pages ---------------------------------------------------------------------------------------------


def csp_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
}


@pytest.mark.parametrize(
    "path,who",
    [
        ("/login/", None),
        ("/", "agency_user"),
        ("/timesheets/upload/", "agency_user"),
        ("/cap-check/", "agency_user"),
        ("/breaches/", "coordinator"),
        ("/admin/", "coordinator"),
        ("/admin/placements/placement/", "coordinator"),
    ],
)
def test_pages_carry_the_strict_content_security_policy(client, request, db, path, who):
    if who:
        user = request.getfixturevalue(who)
        if path.startswith("/admin/"):
            user.is_staff = user.is_superuser = True  # as add_user makes a coordinator
            user.save()
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    policy = csp_of(response)
    for directive, sources in STRICT.items():
        assert policy[directive] == sources, directive


def test_the_api_docs_allow_inline_styles_but_no_inline_script(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = csp_of(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]
    # Swagger UI's start-up script is a file of the same origin, not inline.
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert 'src="/api/v1/docs/?script=1"' in html
    script = client.get("/api/v1/docs/?script=1")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_pages_send_the_secure_headers(client, db):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_with_https_on_plain_http_redirects_and_https_sends_hsts(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/login/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/login/")
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_behind_the_proxy_the_forwarded_scheme_counts_as_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


# --- The templates satisfy the policy, and every form is protected ----------------------------------------------------

TEMPLATE_FILES = sorted(p for p in TEMPLATES.rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src|type=\"application/json\")\b)[^>]*>\s*\S", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_there_are_templates_to_scan():
    assert len(TEMPLATE_FILES) > 40


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_style_or_event_handlers(template):
    text = template.read_text()
    for name, pattern in (
        ("an inline <script>", INLINE_SCRIPT),
        ("a style= attribute", STYLE_ATTRIBUTE),
        ("a <style> element", STYLE_ELEMENT),
        ("an on*= event handler", EVENT_HANDLER),
        ("a javascript: URL", JAVASCRIPT_URL),
    ):
        found = pattern.search(text)
        assert found is None, f"{template.name} has {name}: {text[found.start() : found.start() + 80]!r}"


POST_FORM = re.compile(r"<form\b[^>]*\bmethod\s*=\s*[\"']?post[\"']?[^>]*>(.*?)</form>", re.I | re.S)


def test_every_post_form_in_the_templates_carries_a_csrf_token():
    forms = 0
    for template in TEMPLATE_FILES:
        for match in POST_FORM.finditer(template.read_text()):
            forms += 1
            assert "{% csrf_token %}" in match.group(1), f"{template.relative_to(TEMPLATES)}: {match.group(0)[:120]!r}"
    assert forms >= 20  # the sign-out button, the portal's forms, the coordinator's actions


def test_csrf_is_enforced_on_a_page_form(agency_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agency_user)
    assert client.post("/timesheets/upload/", {}).status_code == 403


# --- Sessions and passwords -------------------------------------------------------------------------------------------


def test_a_session_lasts_a_working_day_and_ends_with_the_browser(client, agency_user):
    response = client.post("/login/", {"username": "alpha", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert client.session.get_expire_at_browser_close() is True
    assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.parametrize(
    "password,message",
    [
        ("short1!", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("73019284615", "This password is entirely numeric."),
        ("kestrel-admin", "The password is too similar to the username."),
    ],
)
def test_add_user_refuses_a_weak_password_and_creates_nobody(db, password, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("add_user", "kestrel-admin", "--password", password, "--role", "analyst")
    assert not User.objects.filter(username="kestrel-admin").exists()


def test_add_user_refuses_a_weak_new_password_for_an_existing_user(db):
    user = UserFactory(username="analyst2")
    with pytest.raises(CommandError, match="too common"):
        call_command("add_user", "analyst2", "--password", "password1", "--role", "analyst")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
