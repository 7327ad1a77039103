"""Community transport: bookings, passport-checked drivers and optimised routes.

So far this package holds the pure parts only: `distance` (travel times and distances between
places) and `routing` (a day's bookings scheduled into vehicle routes with OR-Tools). It is not
a Django app yet; the models, services and pages come with the rest of the issue.
"""
