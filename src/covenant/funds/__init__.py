"""Community funds: programmes, rounds, allocation by need, endowments and 360Giving publishing.

The pure modules (`allocation`, `endowment`, `giving360`) hold the rules and are usable
without Django; the app around them (models, services, pages) builds on them.
"""
