"""Social-value commissioning and community power challenges.

This slice holds the pure modules only (no Django): bid evaluation (`evaluation`), the
government Social Value Model and commissioners' own measure sets (`social_value`), Open
Contracting Data Standard release packages (`ocds`) and the Community Right to Challenge clock
(`challenge`). The Django app (models, services, pages) is built around them later.
"""
