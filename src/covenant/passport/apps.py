from django.apps import AppConfig


class PassportConfig(AppConfig):
    name = "covenant.passport"
    label = "passport"
    verbose_name = "Volunteer passport"

    def ready(self) -> None:
        from covenant.core import personal_data

        from . import checks, rules  # noqa: F401  (registers permission rules and system checks)
        from .personal_data import passport_section

        personal_data.register("passport", passport_section)
