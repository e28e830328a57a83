"""API schemas for affairs: the open catalogue, pre-reviews, slots and appointments."""

from __future__ import annotations

from ninja import Field, Schema


class MaterialOut(Schema):
    id: int
    name: str
    count: int
    form: str = Field(..., description="original | copy")
    form_name: str
    example_photo: str | None = Field(None, description="URL of an example photo")


class AffairItemOut(Schema):
    id: int
    street: str
    code: str
    name: str
    department: str
    legal_basis: str
    eligibility: str
    channels: list[str] = Field(..., description="window | self_service | assisted | remote | home")
    prereview: bool
    entrusted: bool
    time_limit_days: int = Field(..., description="working days")
    fee_fen: int
    keywords: list[str]
    office_hours: bool = Field(..., description="bookable in evening and weekend slots")
    min_notice_minutes: int
    max_days_ahead: int
    materials: list[MaterialOut]
    url: str


class ItemList(Schema):
    items: list[AffairItemOut]
    count: int


class ResourceOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="window | remote | home")
    place_id: int
    place_name: str


class SlotOut(Schema):
    id: int
    start: str
    end: str
    resource: ResourceOut
    free: int


class AppointmentIn(Schema):
    slot: int
    item: int
    prereview: int | None = Field(None, description="an approved pre-review of this item (default: the latest)")
    note: str = Field("", max_length=300)


class RescheduleIn(Schema):
    slot: int


class AppointmentOut(Schema):
    id: int
    code: str
    status: str
    status_name: str
    item: int
    item_name: str
    start: str
    end: str
    resource: ResourceOut
    prereview: int | None
    source: str
    ics_url: str
    cancel_until: str


class FileOut(Schema):
    id: int
    material: int
    material_name: str
    content_type: str
    review: str = Field(..., description="pending | accepted | needs_correction | rejected")
    reason: str
    url: str | None = Field(None, description="the file, for its owner and the street's reviewers")


class PrereviewEventOut(Schema):
    at: str
    from_status: str
    to_status: str
    note: str


class PreReviewOut(Schema):
    id: int
    code: str
    status: str
    status_name: str
    item: int
    item_name: str
    entrusted: bool
    submitted_at: str
    review_due_at: str
    files: list[FileOut]
    timeline: list[PrereviewEventOut]


class FileReviewIn(Schema):
    id: int = Field(..., description="the file's id")
    review: str = Field(..., description="accepted | needs_correction | rejected")
    reason: str = Field("", max_length=300)


class PrereviewReviewIn(Schema):
    files: list[FileReviewIn]


def _file_part(description: str) -> dict[str, object]:
    return {"type": "string", "format": "binary", "description": description}


PREREVIEW_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["item"],
                    "properties": {
                        "item": {"type": "integer", "description": "the item's id 事项编号"},
                        "entrusted": {"type": "boolean", "description": "entrusted handling (where the item allows)"},
                        "material_<id>": _file_part(
                            "one file per material of the item (material_12, material_13, ...): a photo (JPEG, PNG, "
                            "WebP, HEIC; re-encoded without metadata) or a PDF (checked), up to 10 MB"
                        ),
                    },
                }
            }
        },
        "required": True,
    }
}

CORRECTION_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "material_<id>": _file_part("a new file for each material flagged needs_correction, only those")
                    },
                }
            }
        },
        "required": True,
    }
}
