from django.core.management.base import BaseCommand

from dashboards.summaries import summaries_refresh


class Command(BaseCommand):
    help = (
        "Bring the dashboards' pre-computed summaries up to date with the current timesheet lines "
        "(what changed since the last refresh, or everything with --full)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every summary from all current lines")

    def handle(self, *args, full=False, **options):
        result = summaries_refresh(full=full)
        kind = "Full rebuild" if result.full else "Refresh"
        self.stdout.write(
            f"{kind}: {result.groups:,} groups recomputed, {result.rows:,} summary rows written, timesheet lines up "
            f"to id {result.line_id:,} summarised, in {result.seconds:.2f} s."
        )
