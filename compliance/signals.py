"""What the audit tells the layers above it, which it may not import.

`audit_finished` is sent when an audit run has finished (by a worker, or by `manage.py run_audit`), with `run`. The
dashboards bring their summaries up to the lines just judged (dashboards/apps.py). A receiver answers with a line for
the command to print, or None.
"""

from django.dispatch import Signal

audit_finished = Signal()
