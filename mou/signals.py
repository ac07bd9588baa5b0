"""What a change to how work is judged tells the audit, which the lower layers may not import.

`judging_changed` is sent inside the transaction of a change that alters how work already judged is judged (an MoU
version adopted for dates already worked, a cap exception covering past days, a suspension or a permanent leaver
recorded), with `work`: the `JudgedWork` it touches, and `by`: who made it. The audit listens (compliance/apps.py):
it records the request and queues a run for after the commit, which judges exactly that work again.
"""

from dataclasses import dataclass
from datetime import date

from django.dispatch import Signal

judging_changed = Signal()


@dataclass(frozen=True)
class JudgedWork:
    """Work already recorded that a change asks the audit to judge again, and why.

    Timesheet lines dated `lines_from`..`lines_until` (inclusive; None: open-ended) when `lines_from` is set;
    placements started `placements_from`..`placements_until` when `placements_from` is set; either narrowed to one
    placement, agency or worker. `lines` and `placements` count them when the change counted (an adoption does).
    """

    reason: str
    lines_from: date | None = None
    lines_until: date | None = None
    placements_from: date | None = None
    placements_until: date | None = None
    placement_id: int | None = None
    agency_id: int | None = None
    worker_id: int | None = None
    lines: int = 0
    placements: int = 0

    def announce(self, *, by=None) -> None:
        """Tell the audit, inside the caller's transaction (`by`: who made the change)."""
        if self.lines_from is None and self.placements_from is None:
            return
        judging_changed.send(sender=JudgedWork, work=self, by=by)
