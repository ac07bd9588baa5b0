from django.core import mail

import pytest

from futuresocial.notifications import notify

pytestmark = pytest.mark.django_db


def test_a_message_goes_to_each_address_alone_after_commit(settings, tmp_path, django_capture_on_commit_callbacks):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "hello.txt").write_text("Hello {{ name }}\n\nThe MoU says hello to {{ name }}.\n")
    # Assigning the setting (not mutating it in place) makes Django rebuild its template engines, and undoes it after.
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(to=["b@example.org", "a@example.org", "", "a@example.org"], template="hello", context={"name": "Sam"})
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["a@example.org"], "Hello Sam", "The MoU says hello to Sam.\n"),
        (["b@example.org"], "Hello Sam", "The MoU says hello to Sam.\n"),
    ]
