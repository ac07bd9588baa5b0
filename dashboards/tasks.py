from celery import shared_task


@shared_task
def refresh_summaries(full: bool = False) -> int:
    """Beat's refresh of the dashboards' summaries (idempotent; concurrent runs wait for each other). Returns the
    number of groups recomputed."""
    from dashboards.summaries import summaries_refresh

    return summaries_refresh(full=full).groups
