"""Care writes, one module per entity: register (people, consent, contacts, corrections, devices), rota, calls
(with push), checks (check-ins and the missed check-in ladder), visits (the 8-hour channel), followups."""
