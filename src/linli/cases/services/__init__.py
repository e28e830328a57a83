"""Cases services: reports (create, merge into a case, photos), routing to grids, the work-order state machine,
SLA clocks (reminder at 75 %, escalation at breach), sentinel points, and Open311 client keys. Every write is a
function `<entity>_<verb>(*, ...)`."""
