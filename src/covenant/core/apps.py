from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "covenant.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import rules, signals  # noqa: F401  (registers permission rules and receivers)
