"""Passport tables (credential types, issuer keys, credentials, status lists, shares)."""
