"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2), in `.json` and `.xml`.

Endpoints (`{fmt}` is `json` or `xml`; any other extension answers 404 in JSON):

    GET  discovery.{fmt}                      service discovery (http://wiki.open311.org/Service_Discovery)
    GET  services.{fmt}?jurisdiction_id=      the street's active case categories
    GET  services/{service_code}.{fmt}        a service definition (the category's attributes)
    POST requests.{fmt}                       create a service request (form-encoded, needs an api_key)
    GET  requests.{fmt}                       service requests, filtered (default: the last 90 days, at most 1000)
    GET  requests/{service_request_id}.{fmt}  one service request
    GET  tokens/{token}.{fmt}                 the service request of a report's token

Mapping to Linli:

- `jurisdiction_id` is the street code. One endpoint serves every street, so it is required on every method
  but discovery (400 when missing, 404 when unknown).
- A *service* is an active `CaseCategory` of the street; `service_code` is its code. Service definitions
  (attributes) are declared in one place, `SERVICE_ATTRIBUTES` in `definitions.py`, per category code.
- `service_request_id` is the **case** id, not the report id. A GeoReport service request is the issue the
  jurisdiction tracks and works on: its status, the agency responsible, the expected date and the notes all
  belong to the case. Linli merges reports of the same problem (same category, close in place and time) into
  one case when they are submitted, so two clients reporting the same blocked fire passage both receive the
  same `service_request_id` (the `service_notice` says so), a retried POST does not open a second request,
  and `GET requests` lists each problem once (what the spec's analytics use expects). Each report keeps its
  own `token`: `tokens/{token}` answers the case the report belongs to *now* (it follows a staff split). All
  services are `realtime`, so a POST answers the `service_request_id` and, as the spec requires, no token.
- `status` is `closed` for cases closed, rejected or merged by staff (a merged case's `status_notes` names the
  case it was merged into, like the spec's "Duplicate request." example), and `open` for every other state.
- POST creates a `Report` through `services.reports.report_create(source="open311", ...)` (descriptions up to
  Linli's 2,000 characters, within the spec's 4,000). `media_url` and `account_id` are
  stored as report attributes; the URL is never fetched (no outside calls); GET answers the case's first one.
  An `address_string` without lat & long is located against the street's compounds and service points
  (names and addresses; `services/locations.py`, shared with the report page); `address_id` is a compound's
  external id. Nothing else is geocoded.
- Errors use the spec's format (`[{"code": 400, "description": "..."}]` / `<errors><error>...`) with its
  HTTP statuses: 400 bad or missing parameters, 403 missing/invalid/revoked/other-street api_key, 404 unknown
  jurisdiction, service, request or token. Two HTTP-correct additions: 405 for a wrong method and 429 (with
  Retry-After) when a client or address is over its rate. Nothing answers a 500: an unexpected failure is the
  spec's "400 General service error" (and is logged).
- Rate limits (`linli.core.ratelimit`, fixed one-minute windows): every call per client address,
  `LINLI_OPEN311_PER_ADDRESS_PER_MINUTE` (default 120; bad-key attempts count too), and POST per client key,
  `LINLI_OPEN311_POSTS_PER_MINUTE` (default 30).
- Staff issue keys with `linli open311 key create --street CODE --name CLIENT` (services/clients.py).

The package: `definitions` (constants and the service definitions), `render` (JSON/XML bodies and the spec's
error format), `params` (reading and validating request parameters: location, contact, attributes, api_key),
`views` (the endpoints) and `urls` (mounted by `include("linli.cases.open311")`).
"""

from linli.cases.open311.urls import urlpatterns

__all__ = ["urlpatterns"]
