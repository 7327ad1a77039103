"""Social Covenant: the platform a local voluntary-sector body runs for its area."""
