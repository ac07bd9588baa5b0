"""`make run`: the whole app with demo data on one machine, nothing to install by hand.

- PostgreSQL: DATABASE_URL if set, else the embedded server in var/pgdata (started here, stopped on exit).
- Celery: a real worker with beat, on Redis if REDIS_URL is set, else on kombu's filesystem transport in var/celery.
- Web: Django's development server on http://127.0.0.1:8000/ (PORT to change).
Migrates, loads the demo data (idempotent), prints the demo logins, and stops everything on Ctrl-C.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def _stop(signum, frame):
    raise KeyboardInterrupt


def developer_environment() -> dict:
    """A developer's machine: DEBUG on (so no SECRET_KEY is needed), in this process too, since it prints the
    logins through Django's settings."""
    os.environ.setdefault("DEBUG", "true")
    # Plain http://127.0.0.1 (HTTPS is the default only with DEBUG off, but say so here all the same).
    os.environ.setdefault("HTTPS", "false")
    return dict(os.environ)


def main() -> int:
    # Ctrl-C in a terminal, or SIGTERM from a process manager (or a shell that started us in the background,
    # where SIGINT is ignored): either way, stop the children and the embedded database cleanly.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    os.chdir(BASE_DIR)
    env = developer_environment()
    started_embedded = False
    if not env.get("DATABASE_URL"):
        from futuresocial.embedded import embedded_database_url

        env["DATABASE_URL"] = embedded_database_url()
        started_embedded = True
        print(f"Embedded PostgreSQL running on {env['DATABASE_URL']}")
    print(f"Celery broker: {env.get('REDIS_URL') or 'filesystem (var/celery)'}")
    (BASE_DIR / "var" / "celery" / "broker").mkdir(parents=True, exist_ok=True)
    (BASE_DIR / "var" / "celery" / "processed").mkdir(parents=True, exist_ok=True)

    python = sys.executable
    manage = [python, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True)
    subprocess.run([*manage, "load_demo"], env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--no-input", "--verbosity=0"], env=env, check=True)

    port = env.get("PORT", "8000")
    children = [
        subprocess.Popen(
            # One process with beat embedded is enough for a demo; production runs worker and beat apart.
            [python, "-m", "celery", "-A", "futuresocial", "worker", "--beat", "--loglevel=INFO", "--concurrency=1"],
            env=env,
        ),
        subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env),
    ]
    try:
        print_logins(port)
        while all(child.poll() is None for child in children):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if started_embedded:
            from futuresocial.embedded import stop_embedded_server

            stop_embedded_server()
            print("Embedded PostgreSQL stopped.")
    return 0


def print_logins(port: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futuresocial.settings")
    django.setup()
    from demo.data import DEMO_PASSWORD, DEMO_USERS

    print()
    print(f"  The app:   http://127.0.0.1:{port}/        API docs: http://127.0.0.1:{port}/api/v1/docs/")
    print(f"  Admin:     http://127.0.0.1:{port}/admin/  (as the coordinator)")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, sees in DEMO_USERS:
        print(f"    {username:<12} {role:<12} {sees}")
    print("  Ctrl-C stops the web server, the worker and the embedded database.")
    print()


if __name__ == "__main__":
    sys.exit(main())
