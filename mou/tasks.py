from celery import shared_task


@shared_task
def settle_versions() -> list[int]:
    """Beat's daily step just after midnight: a scheduled MoU version whose date has come comes into force, its
    predecessor is superseded (mou.services.mou_versions_settle; idempotent)."""
    from mou.services import mou_versions_settle

    return [version.pk for version in mou_versions_settle()]
