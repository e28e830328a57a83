"""The "多格合一" command dashboard: one live picture per grid, street HQ → workstation → unit.

The top domain: it reads every other domain only through their `selectors` (and registers into their `hooks`);
nothing imports it. Module map: `models` (precomputed counters per grid, day and KPI), `selectors_live` (the live
picture), `selectors_kpis` (KPIs over time from the counters), `services` (counter upkeep, nightly rebuild,
escalation), `api`, `views`, `consumers`/`routing` (WebSocket updates)."""
