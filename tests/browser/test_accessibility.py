"""axe-core over every page the four demo personas reach (WCAG 2.0-2.2 A and AA): the test fails on any serious or
critical violation, naming the page, the rule and the elements. On the demo data, so the lists, cases and agreements
have something in them; the agency also at a phone's width, where wide tables scroll in their box."""

from django.core.management import call_command
from django.db import connections

import pytest

from demo.data import DEMO_PASSWORD
from tests.browser.accessibility import sweep

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PERSONAS = [("coordinator", 1280), ("analyst", 1280), ("solihull", 1280), ("kestrel", 1280), ("kestrel", 390)]


def sign_in(browser, base_url, username, width):
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("header .who").get_by_text(username).wait_for()
    return context, page


def test_no_page_a_persona_reaches_has_a_serious_accessibility_violation(chromium, live_server, audit_queue):
    call_command("load_demo", verbosity=0)
    visited, findings = [], []
    try:
        for username, width in PERSONAS:
            context, page = sign_in(chromium, live_server.url, username, width)
            pages, found = sweep(page, live_server.url)
            context.close()
            visited += [f"{username}@{width}: {path}" for path in pages]
            findings += found
    finally:
        connections.close_all()
    assert len(visited) >= 40, visited
    assert not findings, f"{len(findings)} violations on {len(visited)} pages:\n" + "\n".join(map(str, findings))


def test_the_sweep_reports_a_violation_it_is_shown(chromium):
    """The check itself: an unlabelled input and a tiny button beside another are found, by rule and element."""
    from tests.browser.accessibility import check_page

    page = chromium.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1><input id="nameless">'
        '<button style="width:10px;height:10px;padding:0">a</button><button style="width:10px;height:10px;padding:0">'
        "b</button></main></body></html>"
    )
    rules = {(finding.rule, finding.targets[0]) for finding in check_page(page)}
    page.close()
    assert ("label", "#nameless") in rules
    assert any(rule == "target-size" for rule, _target in rules)
