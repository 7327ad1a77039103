"""Community transport: permits, vehicles, passengers, drivers, bookings and routes."""
