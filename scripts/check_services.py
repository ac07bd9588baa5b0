"""Fail loudly when the PostgreSQL or Redis that CI must test against is missing (never skip)."""

import os
import sys


def ensure_database(url: str) -> str:
    """Connect to the server (its `postgres` database), create the named database if missing; return the version."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, connect_timeout=5, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return version


def main() -> int:
    import redis

    problems = []
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not database_url:
        problems.append("DATABASE_URL is not set")
    else:
        try:
            version = ensure_database(database_url.replace("postgres://", "postgresql://", 1))
            print(f"PostgreSQL {version} at {database_url}")
        except Exception as error:  # any failure to connect is the same answer: no database
            problems.append(f"PostgreSQL unreachable at {database_url}: {error}")
    if not redis_url:
        problems.append("REDIS_URL is not set")
    else:
        try:
            client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
            client.ping()
            print(f"Redis {client.info()['redis_version']} at {redis_url}")
        except Exception as error:
            problems.append(f"Redis unreachable at {redis_url}: {error}")
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
