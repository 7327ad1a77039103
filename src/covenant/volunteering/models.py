"""Volunteer roles, applications, placements and hours (recruitment and retention)."""
