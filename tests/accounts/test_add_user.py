from django.core.management import CommandError, call_command

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def add_user(*args):
    from io import StringIO

    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_council_user_for_an_authority_by_ons_or_dfe_code():
    assert "Created council user 'sol' (Solihull)" in add_user(
        "sol", "--password", "pw-123456!", "--role", "council", "--authority", "E08000029"
    )
    add_user("cov", "--password", "pw-123456!", "--role", "council", "--authority", "331")
    assert User.objects.get(username="sol").authority.name == "Solihull"
    assert User.objects.get(username="cov").authority.name == "Coventry"
    assert User.objects.get(username="sol").check_password("pw-123456!")


def test_it_creates_an_agency_user_for_an_agency(agency_a):
    add_user("alpha", "--password", "pw-123456!", "--role", "agency", "--agency", str(agency_a.pk))
    user = User.objects.get(username="alpha")
    assert (user.role, user.agency, user.authority, user.is_staff) == ("agency", agency_a, None, False)


def test_only_the_coordinator_gets_into_the_admin():
    add_user("coord", "--password", "pw-123456!", "--role", "coordinator")
    add_user("ana", "--password", "pw-123456!", "--role", "analyst")
    assert User.objects.get(username="coord").is_staff
    assert not User.objects.get(username="ana").is_staff


def test_running_it_again_updates_the_user_instead_of_failing(agency_a):
    add_user("someone", "--password", "first-pass-1", "--role", "analyst")
    out = add_user("someone", "--password", "second-pass-2", "--role", "agency", "--agency", str(agency_a.pk))
    assert "Updated agency user 'someone'" in out
    user = User.objects.get(username="someone")
    assert (user.role, user.agency) == ("agency", agency_a)
    assert user.check_password("second-pass-2")
    assert User.objects.filter(username="someone").count() == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["x", "--password", "p-123456!", "--role", "council"], "A council user needs --authority"),
        (["x", "--password", "p-123456!", "--role", "council", "--authority", "E99"], "No authority with code 'E99'"),
        (["x", "--password", "p-123456!", "--role", "agency"], "An agency user needs --agency"),
        (["x", "--password", "p-123456!", "--role", "agency", "--agency", "999999"], "No agency with id 999999"),
        (["x", "--password", "p-123456!", "--role", "analyst", "--authority", "331"], "Only council users belong"),
        (["x", "--role", "analyst"], "A new user needs --password"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        add_user(*args)
    assert not User.objects.filter(username="x").exists()
