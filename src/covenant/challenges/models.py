"""Community power challenges: interest, the clock, decisions, the public register."""
