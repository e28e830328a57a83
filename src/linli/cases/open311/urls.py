"""Open311 routes: `{name}.{fmt}` for every endpoint; anything else answers the spec's 404 in JSON."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from linli.cases.open311.views import (
    discovery,
    not_found,
    request_detail,
    requests,
    root,
    service_definition,
    services,
    token_detail,
)

_FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^$", root, name="open311_root"),
    re_path(r"^discovery" + _FMT, discovery, name="open311_discovery"),
    re_path(r"^services" + _FMT, services, name="open311_services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + _FMT, service_definition, name="open311_service"),
    re_path(r"^requests" + _FMT, requests, name="open311_requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)" + _FMT, request_detail, name="open311_request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + _FMT, token_detail, name="open311_token"),
    re_path(r"^(?P<rest>.*)$", not_found, name="open311_not_found"),
]
