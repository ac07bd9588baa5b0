"""docker-compose.yml can't run here (no Docker engine): check what can be checked, and that its commands work."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def compose():
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_names_the_production_services():
    assert set(compose()["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_web_worker_and_beat_share_one_image_and_point_at_postgres_and_redis():
    services = compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["image"] == "futuresocial:latest"
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "futuresocial", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "futuresocial", "beat"]


def run(*command):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "futuresocial.settings"}
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def test_gunicorn_loads_the_wsgi_app_the_web_service_runs():
    result = run(str(BIN / "gunicorn"), "--check-config", "futuresocial.wsgi")
    assert result.returncode == 0, result.stderr


def test_celery_loads_the_app_the_worker_and_beat_run_with_the_database_scheduler():
    result = run(str(BIN / "celery"), "-A", "futuresocial", "report")
    assert result.returncode == 0, result.stderr
    assert "django_celery_beat.schedulers:DatabaseScheduler" in result.stdout


def test_the_image_installs_from_requirements_and_the_ci_script_runs_the_readme_test_command():
    assert "requirements.txt" in (BASE_DIR / "Dockerfile").read_text()
    readme = (BASE_DIR / "README.md").read_text()
    assert "make test" in readme.split("\n## ")[0]
    assert "make test" in (BASE_DIR / ".ci" / "run").read_text()


def test_make_run_prints_the_logins_with_no_secret_key_or_debug_in_the_environment():
    # `make run` on a fresh machine has neither; the settings refuse to start without a key unless DEBUG is on.
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    code = "import run_demo; run_demo.developer_environment(); run_demo.print_logins('8000')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR / "scripts", env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Demo logins (password for all: demo-pass-2025)" in result.stdout
