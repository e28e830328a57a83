"""Affairs pages: residents' search, what to bring, pre-review, booking and their appointments (`resident`);
staff's catalogue, pre-review queue, templates and booking for a caller (`staff`)."""
