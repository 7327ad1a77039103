from django.apps import AppConfig


class CommissioningConfig(AppConfig):
    """Social-value commissioning: tenders, bids, evaluation, award, KPIs and OCDS."""

    name = "covenant.commissioning"
    label = "commissioning"
    verbose_name = "Commissioning"
