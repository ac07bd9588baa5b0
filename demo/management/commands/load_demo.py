from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards.summaries import summaries_refresh
from demo.activity import bring_to_life
from demo.loader import DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data set: MoU versions, fictional agencies, workers, placements, timesheets, leavers, cap "
        "exceptions, workforce returns, official statistics and demo users, with timesheets to last week; then audit "
        "them and issue one agency a corrective action. A second run the same week changes nothing."
    )

    def handle(self, *args, verbosity=1, **options):
        today = timezone.localdate()
        try:
            summary = load_demo(today=today)
        except DemoDataError as error:
            raise CommandError(f"Demo data not loaded: {error}") from error
        # The queue, the worklists and the agencies' portals show what the audit found: run it now rather than at
        # night, then build the dashboards' summaries for the judged lines.
        activity = bring_to_life(today=today, audit=summary.changed)
        refreshed = summaries_refresh()
        for warning in summary.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if verbosity >= 2:
            for note in summary.notes:
                self.stdout.write(note)
        self._say_activity(activity)
        if not summary.changed:
            self.stdout.write(f"Demo data already loaded: nothing changed ({summary.seconds:.1f} s).")
            return
        self.stdout.write(f"Demo data loaded in {summary.seconds:.1f} s:")
        width = max(len(tally.label) for tally in summary.tallies)
        for tally in summary.tallies:
            self.stdout.write(f"  {tally.label:<{width}}  {tally.total:>7,}  ({tally.created:,} new)")
        self.stdout.write(f"Dashboard summaries: {refreshed.groups:,} groups recomputed.")

    def _say_activity(self, activity):
        if activity.audit_busy:
            self.stderr.write(self.style.WARNING(f"Audit not run now: {activity.audit_busy}"))
        elif activity.audit is not None and activity.audit.breaches_found:
            self.stdout.write(
                f"Audit run {activity.audit.pk}: {activity.audit.lines_checked:,} timesheet lines checked, "
                f"{activity.audit.breaches_found:,} breach cases opened."
            )
        action = activity.corrective_action
        if action is not None and activity.corrective_action_new:
            self.stdout.write(f"Corrective action {action.pk} issued to {action.agency.name}, awaiting its signature.")
