from django.core.management.base import BaseCommand, CommandError

from workforce.importers import OfficialStatisticsError, import_official_statistics


class Command(BaseCommand):
    help = "Import an official children's social work workforce statistics CSV (either naming scheme)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="e.g. data/official/csww_indicators_2017_to_2025.csv")

    def handle(self, *args, file, **options):
        try:
            report = import_official_statistics(file)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        except OfficialStatisticsError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Read {report.rows_read} rows: {report.imported} imported, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.skipped_count} skipped"
        )
        for reason, count in report.skipped.most_common():
            self.stdout.write(f"  {count} skipped: {reason}")
