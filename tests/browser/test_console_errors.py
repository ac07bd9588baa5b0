"""The journeys' console check has teeth: the Content-Security-Policy refuses an inline script, and the refusal is
one of the console errors a journey fails on."""

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_an_inline_script_is_refused_and_recorded_as_a_console_error(journey, coordinator):
    person = journey.person(coordinator)
    assert person.console_errors == []
    person.page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "document.body.dataset.inlineRan = 'yes'";
            document.head.appendChild(script);
        }"""
    )
    person.page.wait_for_timeout(200)  # the console message arrives after the script is refused
    assert person.page.evaluate("() => document.body.dataset.inlineRan") is None
    assert len(person.console_errors) == 1
    assert "Content Security Policy" in person.console_errors[0]
    person.console_errors.clear()  # seen: the journey's own check is for errors nobody expected
