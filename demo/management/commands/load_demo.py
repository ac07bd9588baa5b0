from django.core.management.base import BaseCommand, CommandError

from dashboards.summaries import summaries_refresh
from demo.loader import DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data set: MoU versions, fictional agencies, workers, placements, timesheets, leavers, cap "
        "exceptions, workforce returns, official statistics and demo users. A second run changes nothing."
    )

    def handle(self, *args, verbosity=1, **options):
        try:
            summary = load_demo()
        except DemoDataError as error:
            raise CommandError(f"Demo data not loaded: {error}") from error
        # The dashboards read pre-computed summaries: build them for the demo's lines now rather than at the next audit.
        refreshed = summaries_refresh()
        for warning in summary.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if verbosity >= 2:
            for note in summary.notes:
                self.stdout.write(note)
        if not summary.changed:
            self.stdout.write(f"Demo data already loaded: nothing changed ({summary.seconds:.1f} s).")
            return
        self.stdout.write(f"Demo data loaded in {summary.seconds:.1f} s:")
        width = max(len(tally.label) for tally in summary.tallies)
        for tally in summary.tallies:
            self.stdout.write(f"  {tally.label:<{width}}  {tally.total:>7,}  ({tally.created:,} new)")
        self.stdout.write(f"Dashboard summaries: {refreshed.groups:,} groups recomputed.")
