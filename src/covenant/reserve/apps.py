from django.apps import AppConfig


class ReserveConfig(AppConfig):
    """The locally organised volunteer reserve: opt-in, call-outs, matching and dispatch."""

    name = "covenant.reserve"
    label = "reserve"
    verbose_name = "Reserve"
