"""The volunteer passport: portable, selectively disclosable proof of checks and history."""
