from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"

    def ready(self):
        from compliance import receivers
        from placements.signals import work_submitted

        # Every submission is audited: placements say when they stored work, the audit queues itself.
        work_submitted.connect(receivers.audit_after_submission, dispatch_uid="audit_after_submission")
