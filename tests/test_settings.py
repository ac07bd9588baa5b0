"""Wiring that must hold on every machine: Celery's broker choice and the test run's services."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def broker_for(env_overrides):
    env = {**os.environ, **env_overrides}
    code = "import django; django.setup(); from futuresocial.celery import app; print(app.conf.broker_url)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "futuresocial.settings"},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_celery_uses_redis_when_redis_url_is_set():
    assert broker_for({"REDIS_URL": "redis://127.0.0.1:6379/3"}) == "redis://127.0.0.1:6379/3"


def test_celery_uses_the_filesystem_transport_without_redis_url():
    assert broker_for({"REDIS_URL": ""}) == "filesystem://"


def test_ci_runs_against_the_machines_redis():
    # Under CI the test command sets REDIS_URL (scripts/test.sh) and checks the server answers before any test.
    if os.environ.get("CI") == "true":
        import redis

        assert os.environ["REDIS_URL"].startswith("redis://")
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping() is True


def test_the_ci_preflight_fails_when_postgresql_or_redis_is_missing():
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/futuresocial",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = subprocess.run(
        [sys.executable, "scripts/check_services.py"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "PostgreSQL unreachable at postgres://postgres@127.0.0.1:1/futuresocial" in result.stderr
    assert "Redis unreachable at redis://127.0.0.1:1/0" in result.stderr
