"""What compliance does when a lower layer says something happened (placements/signals.py, mou/signals.py)."""

from compliance import services


def audit_after_submission(sender, *, trigger: str, by=None, **kwargs) -> None:
    """Work was stored for the audit to judge: queue an audit for after the commit (one already queued will do)."""
    services.audit_request(trigger=trigger, by=by)


def rejudge_after_change(sender, *, work, by=None, **kwargs) -> None:
    """How work already judged is judged has changed: record what to judge again and queue an audit for after the
    commit (compliance.audit re-judges exactly that work)."""
    services.rejudge_request(work, by=by)
