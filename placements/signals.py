"""What placements tell the layers above them, which they may not import.

`work_submitted` is sent inside the transaction that stored timesheet lines, after they are written, with `trigger`
(what submitted them: "timesheet") and `by` (the user, or None). The audit listens (compliance/apps.py) and queues a
run for after the commit, so every submission is judged without placements knowing the audit.
"""

from django.dispatch import Signal

work_submitted = Signal()
