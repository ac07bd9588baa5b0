from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_upsert


class Command(BaseCommand):
    help = "Create or update a user with a role (council users need --authority, agency users --agency)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", help="Required for a new user; sets a new password for an existing one")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--authority", help="ONS or DfE code of the council user's authority")
        parser.add_argument("--agency", type=int, help="Id of the agency user's agency")

    def handle(self, *args, username, password, role, authority, agency, **options):
        try:
            user, created = user_upsert(
                username=username, password=password, role=role, authority_code=authority, agency_id=agency
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        where = user.authority or user.agency or "the region"
        self.stdout.write(f"{'Created' if created else 'Updated'} {role} user {username!r} ({where}).")
