from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"

    def ready(self):
        from compliance import receivers
        from mou.signals import judging_changed
        from placements.signals import work_submitted

        # Every submission is audited: placements say when they stored work, the audit queues itself.
        work_submitted.connect(receivers.audit_after_submission, dispatch_uid="audit_after_submission")
        # A change to how judged work is judged (a version for past dates, a late exception...) is judged again.
        judging_changed.connect(receivers.rejudge_after_change, dispatch_uid="rejudge_after_change")
