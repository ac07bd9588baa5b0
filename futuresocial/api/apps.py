from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (SPEC §7): an app only so that its admin (revoking tokens) is discovered. It has no models."""

    name = "futuresocial.api"
    label = "futuresocial_api"
    verbose_name = "REST API"
