from django.core.management.base import BaseCommand, CommandError

from tqdm import tqdm

from compliance.audit import AuditBusy, audit_perform
from compliance.models import AuditRun, Breach
from compliance.signals import audit_finished


class Command(BaseCommand):
    help = "Run the audit once in the foreground, with a progress bar, and print what it found."

    def handle(self, *args, **options):
        run = AuditRun.objects.create(trigger="command")
        bar = tqdm(total=100, unit="%", desc=f"Audit run {run.pk}", file=self.stderr._out, leave=True)

        def on_progress(current):
            bar.n = current.progress
            bar.set_postfix(lines=f"{current.lines_checked:,}", breaches=current.breaches_found)
            bar.refresh()

        try:
            finished = audit_perform(run_id=run.pk, on_progress=on_progress)
        except AuditBusy as busy:
            AuditRun.objects.filter(pk=run.pk).update(status=AuditRun.Status.FAILED, error=str(busy))
            raise CommandError(f"{busy} Try again when it has finished.") from busy
        finally:
            bar.close()
        if finished is None:
            raise CommandError(f"Audit run {run.pk} could not start.")
        self.stdout.write(
            f"Audit run {finished.pk} finished: {finished.lines_checked:,} timesheet lines and "
            f"{finished.placements_checked:,} placements checked, {finished.breaches_found:,} new breach cases."
        )
        open_cases = Breach.objects.filter(status="open").count()
        self.stdout.write(f"Open breach cases now: {open_cases:,}.")
        # Whoever reads the judged lines catches up (the dashboards' summaries) and says so.
        for _receiver, said in audit_finished.send(sender=AuditRun, run=finished):
            if said:
                self.stdout.write(said)
