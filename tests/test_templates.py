"""Template hygiene a page test would only catch on the page that shows it."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_comment_runs_over_a_line_break():
    """Django's `{# #}` comment ends at the line: one that runs over a line break is printed on the page as text
    (it was, above the placement form's error summary). Longer comments are `{% comment %}` blocks."""
    broken = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert broken == []


def test_every_post_form_carries_a_submission_token():
    """A double click is one submission only where the form carries `{% submission_token %}` (futuresocial/
    submissions.py). Sign-in and password forms are left out on purpose: they store nothing."""
    exempt = {
        "registration/login.html",
        "registration/password_reset_form.html",
        "registration/password_reset_confirm.html",
    }
    missing = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        if str(path.relative_to(TEMPLATES)) not in exempt
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{% csrf_token %}" in line and "{% submission_token %}" not in line
    ]
    assert missing == []
