"""What compliance does when a lower layer says something happened (placements/signals.py)."""

from compliance import services


def audit_after_submission(sender, *, trigger: str, by=None, **kwargs) -> None:
    """Work was stored for the audit to judge: queue an audit for after the commit (one already queued will do)."""
    services.audit_request(trigger=trigger, by=by)
