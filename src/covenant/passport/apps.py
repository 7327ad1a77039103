from django.apps import AppConfig


class PassportConfig(AppConfig):
    name = "covenant.passport"
    label = "passport"
    verbose_name = "Volunteer passport"
