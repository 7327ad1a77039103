from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    """Community power challenges: interest, the clock, decisions, the public register."""

    name = "covenant.challenges"
    label = "challenges"
    verbose_name = "Community power challenges"
