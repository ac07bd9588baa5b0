from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self):
        from compliance.signals import audit_finished
        from dashboards import receivers

        audit_finished.connect(receivers.refresh_after_audit, dispatch_uid="refresh_after_audit")
