"""What the dashboards do when a lower layer says something happened (compliance/signals.py)."""

from dashboards.summaries import summaries_refresh


def refresh_after_audit(sender, *, run, **kwargs) -> str:
    """The dashboards read pre-computed summaries: bring them up to the lines the audit just judged."""
    refreshed = summaries_refresh()
    return f"Dashboard summaries refreshed: {refreshed.groups:,} groups recomputed."
