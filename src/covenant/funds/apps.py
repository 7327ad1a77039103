from django.apps import AppConfig


class FundsConfig(AppConfig):
    """Community funds: programmes, rounds, applications, assessment, awards and 360Giving."""

    name = "covenant.funds"
    label = "funds"
    verbose_name = "Funds"
