from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "covenant.api"
    label = "api"
    verbose_name = "API"
