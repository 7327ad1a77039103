"""Community funds: programmes, rounds, applications, assessment, awards and 360Giving."""
