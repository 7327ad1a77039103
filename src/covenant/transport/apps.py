from django.apps import AppConfig


class TransportConfig(AppConfig):
    """Community transport: permits, vehicles, passengers, drivers, bookings and routes."""

    name = "covenant.transport"
    label = "transport"
    verbose_name = "Community transport"
