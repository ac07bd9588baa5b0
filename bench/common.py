"""What the bench scripts share: a database of their own on the server, Django set up on it, timing.

A bench never touches the dev database: it creates one named for itself on the server DATABASE_URL points at (or on
the embedded PostgreSQL), and drops it afterwards. Run as `python bench/X.py`, a script finds this module beside it
(the script's folder is first on the path); importing it puts the project on the path for Django.
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def server_url() -> str:
    """The server the benches build their databases on: DATABASE_URL's, else the embedded PostgreSQL's."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    from futuresocial.embedded import embedded_database_url

    return embedded_database_url()


def with_database(url: str, name: str) -> str:
    """`url` pointing at the database `name` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, *statements: str) -> None:
    """Run statements (CREATE / DROP DATABASE) on the server's `postgres` database, outside a transaction."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def drop_databases(url: str, *names: str) -> None:
    admin(url, *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))


def recreate_database(url: str, name: str, *, template: str | None = None) -> None:
    """Drop the database `name` if a previous run left it, and create it empty (or as a copy of `template`)."""
    drop_databases(url, name)
    admin(url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def setup_django(database_url: str | None = None) -> None:
    """Django's settings on `database_url` (else the environment's), with a throwaway key: DEBUG is off in a
    bench, so the settings need one."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futuresocial.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    # Benches serve and request plain HTTP on loopback (HTTPS is the default with DEBUG off).
    os.environ.setdefault("HTTPS", "false")
    import django

    django.setup()


def timed(label: str, function):
    """Call `function`, print its wall time under `label`; (its result, seconds)."""
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    print(f"  {label:<46} {seconds:8.3f} s")
    return result, seconds


class Stopwatch:
    """`with Stopwatch() as watch: ...`, then `watch.seconds`: a block's wall time, printed by the caller."""

    seconds = 0.0

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False
