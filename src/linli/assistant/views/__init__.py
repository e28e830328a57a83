"""Assistant pages: the resident's 问一问 chat page (also a panel on the service map) and the staff review queue."""
