from django.apps import AppConfig


class VolunteeringConfig(AppConfig):
    """Volunteer roles, applications, placements and hours (recruitment and retention)."""

    name = "covenant.volunteering"
    label = "volunteering"
    verbose_name = "Volunteering"
