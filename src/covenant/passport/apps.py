from django.apps import AppConfig


class PassportConfig(AppConfig):
    name = "covenant.passport"
    label = "passport"
    verbose_name = "Volunteer passport"

    def ready(self) -> None:
        from . import checks, rules  # noqa: F401  (registers permission rules and system checks)
