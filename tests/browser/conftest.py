"""The browser journeys' harness: Debian's Chromium driven by Playwright against pytest-django's `live_server`.

Each person in a journey gets a browser context of their own (their own cookies) and signs in through the sign-in
page. Every page records the console errors it logs (a Content-Security-Policy violation is one) and the journey
fails on any. Screenshots go to `var/screenshots/<journey>/NN-step.png`, numbered in the order they are taken.

The audit is not run by a Celery worker here (tests/compliance/test_worker.py covers that path): what a submission
or the coordinator queues goes to a queue of this test's own that nothing reads, and the test plays the worker with
`run_queued_audits()` between steps.
"""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections

import pytest

from compliance.audit import audit_perform
from compliance.models import AuditRun
from tests.celery_queues import own_queue
from tests.needs import missing

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
# The closed network refuses Chromium's own calls home; these flags stop it making them (and GPU probing).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]


@pytest.fixture
def chromium(monkeypatch):
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it under CI)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread, which Django takes for an async context; the ORM
    # calls the test makes between steps are plain synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Person:
    """One person at their own browser: `page`, and the console errors it logged."""

    name: str
    page: object
    console_errors: list = field(default_factory=list)


class Journey:
    def __init__(self, name, browser, base_url):
        self.name = name
        self.browser = browser
        self.base_url = base_url
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)  # a journey's folder holds its last run only
        self.shots = 0
        self.people = []

    def person(self, user) -> Person:
        """`user` at a fresh browser, signed in through the sign-in page."""
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": 1280, "height": 900},
            # Accept-Language and the pages' JS dates as here (date inputs still show mm/dd/yyyy: Debian's Chromium
            # ships only the en-US locale unless chromium-l10n is installed).
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        person = Person(name=user.username, page=page)

        def on_console(message):
            # The app has no favicon: Chromium's own request for one is no fault of the page. A form refused with 400
            # (an upload with bad rows: the page itself, readable, with its errors) is logged by Chromium as a failed
            # load of that page; the journey checks what it shows. Any other resource failing still counts.
            url = message.location.get("url", "")
            refused_form = url == page.url and "status of 400" in message.text
            if message.type == "error" and not url.endswith("/favicon.ico") and not refused_form:
                person.console_errors.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: person.console_errors.append(f"{page.url}: uncaught {error}"))
        self.people.append(person)

        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # The header names who is signed in: the sign-in worked.
        page.locator("header .who").get_by_text(user.username).wait_for()
        return person

    def shot(self, person: Person, step: str) -> Path:
        self.shots += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.shots:02d}-{step}.png"
        person.page.screenshot(path=str(path), full_page=True)
        return path

    def console_errors(self) -> list[str]:
        return [f"{p.name} at {error}" for p in self.people for error in p.console_errors]


@pytest.fixture
def journey(request, chromium, live_server, audit_queue):
    """A journey named after its module (`test_suspension_journey.py` → `suspension`). It fails on any console
    error the pages logged, once the journey itself has passed."""
    name = request.module.__name__.rpartition(".")[2].removeprefix("test_").removesuffix("_journey")
    trip = Journey(name, chromium, live_server.url)
    yield trip
    # The ORM calls made while Playwright ran kept a connection of their own: closed here, or it outlives the test
    # and holds the test database open at its teardown.
    connections.close_all()
    errors = trip.console_errors()
    assert not errors, "The pages logged console errors:\n" + "\n".join(errors)


@pytest.fixture
def audit_queue():
    """Audits queued during the journey go to a queue of its own that no worker reads (a developer's `make run`
    worker on the same broker would otherwise take them, against its own database); the queue is deleted after."""
    with own_queue("test-browser-audit") as queue:
        yield queue


def run_queued_audits() -> list[AuditRun]:
    """Play the Celery worker: perform every queued audit run, as `compliance.tasks.run_audit` would."""
    runs = []
    for run_id in AuditRun.objects.filter(status=AuditRun.Status.QUEUED).order_by("id").values_list("id", flat=True):
        runs.append(audit_perform(run_id=run_id))
    return runs
