"""Core API: streets (public)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from linli.core import selectors

router = Router(tags=["streets 街道"])


class StreetOut(Schema):
    code: str
    name: str
    name_en: str
    district: str
    city: str
    hotline: str
    center: dict | None
    is_sample: bool


@router.get("/streets", response=list[StreetOut], summary="街道列表 List streets")
def list_streets(request: HttpRequest) -> list[dict]:
    return [
        {
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en,
            "district": s.district,
            "city": s.city,
            "hotline": s.hotline,
            "center": {"lat": s.center_lat, "lng": s.center_lng} if s.center_lat is not None else None,
            "is_sample": s.is_sample,
        }
        for s in selectors.street_list()
    ]
