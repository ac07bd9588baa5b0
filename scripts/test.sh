#!/usr/bin/env bash
# The whole test suite (`make test`). Locally, with no DATABASE_URL, tests run on the embedded PostgreSQL and
# Celery on kombu's filesystem transport. With CI=true they run against the machine's PostgreSQL and Redis
# (127.0.0.1:5432 and :6379 unless DATABASE_URL / REDIS_URL say otherwise) and fail if either is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

WORKERS=()
if [ "${CI:-}" = "true" ]; then
  export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/futuresocial}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  $PY scripts/check_services.py
  # One pytest worker per core (pytest-xdist; each has a test database of its own): on CI's two cores the suite takes
  # 13 minutes instead of 23. Locally, on the embedded server, add ARGS="-n auto" to do the same.
  WORKERS=(-n "${TEST_WORKERS:-auto}")
fi

# DEBUG is off in tests, and then the settings refuse to start without a key: any throwaway one will do here.
export SECRET_KEY="${SECRET_KEY:-test-only-not-secret-4f9c2a7e1b8d6f3a0c5e9b2d7a1f4c8e6b3d0a9f2e5c}"
# HTTPS is the default with DEBUG off; tests serve plain HTTP (the test client, live servers on loopback).
export HTTPS=false

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== lint-imports (the layers contract in pyproject.toml)"
.venv/bin/lint-imports
echo "== manage.py check"
$PY manage.py check
echo "== makemigrations --check"
$PY manage.py makemigrations --check --dry-run
echo "== pytest"
$PY -m pytest "${WORKERS[@]}" "$@"
