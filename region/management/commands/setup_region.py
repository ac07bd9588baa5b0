from django.core.management.base import BaseCommand, CommandError

from region.official import OFFICIAL_FILE, OfficialFileError
from region.services import RegionSetupRefused, region_setup


class Command(BaseCommand):
    help = (
        "Make a fresh (migrated, otherwise empty) deployment an English region's: its name and its authorities, "
        "from the official statistics. Without it the deployment is the West Midlands'."
    )

    def add_arguments(self, parser):
        parser.add_argument("region", help='e.g. "North East", "London" or E12000001')
        parser.add_argument(
            "--file", default=str(OFFICIAL_FILE), help="the official statistics CSV (default: %(default)s)"
        )

    def handle(self, *args, region, file, **options):
        try:
            setup = region_setup(name=region, path=file)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        except (RegionSetupRefused, OfficialFileError) as error:
            raise CommandError(str(error)) from error
        if not setup.changed:
            self.stdout.write(
                f"The deployment is already {setup.region.in_prose} ({setup.authorities} authorities): nothing changed."
            )
            return
        self.stdout.write(
            f"The deployment is now {setup.region.in_prose}: {setup.authorities} authorities from the official "
            f"statistics for {setup.year}. Restart the app and its workers so that they name it; then import the "
            "official statistics (import_workforce_stats). A superuser marks the children's trusts in the admin."
        )
