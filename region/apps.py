from django.apps import AppConfig


class RegionConfig(AppConfig):
    """The region the deployment serves: its authorities, the tenants councils' users belong to."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "region"
