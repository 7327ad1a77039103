from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    """Stock the CVS holds for member organisations, requests and fair allocation."""

    name = "covenant.supplies"
    label = "supplies"
    verbose_name = "Supplies"
