"""Activities writes, one module per entity: activities, bookings, series, check-in; notify holds the messages.

Import from the modules themselves (`from linli.activities.services.bookings import booking_create`).
"""
