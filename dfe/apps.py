from django.apps import AppConfig


class DfeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dfe"
    verbose_name = "DfE quarterly returns"
