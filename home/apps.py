from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The page each person lands on: it reads every area (MoU, agencies, placements, compliance), so it sits on top."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "home"
