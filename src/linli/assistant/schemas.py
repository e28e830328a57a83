"""Schemas of the assistant API."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class ActionOut(Schema):
    type: str = Field(..., description="book | navigate | order | call | open")
    label: str
    url: str


class CardOut(Schema):
    type: str = Field(..., description="place | activity | menu_item | contact | page")
    id: int | str
    title: str
    subtitle: str
    url: str
    actions: list[ActionOut]


class AskIn(Schema):
    question: str = Field(..., description="the resident's question in plain words, at most 200 characters")
    lat: float | None = Field(None, description="where the resident is (WGS-84), for 'nearest' questions")
    lng: float | None = None
    street: str | None = Field(None, description="street code; default: the deployment's only street")


class AskOut(Schema):
    answer_id: str = Field(..., description="use it to rate the answer")
    answer: str
    intent: str = Field(
        ..., description="activities | nearest_place | opening_hours | meals | how_to | contact | unknown | curated"
    )
    backend: str = Field(..., description="offline | llm | curated")
    cards: list[CardOut]


class FeedbackIn(Schema):
    helpful: bool
    comment: str = Field("", description="optional, at most 500 characters")


class FeedbackOut(Schema):
    answer_id: str
    helpful: bool
    comment: str


class QueueItemOut(Schema):
    id: int
    created_at: str
    question: str
    intent: str
    answer: str
    backend: str
    helpful: bool | None
    comment: str


class CardRef(Schema):
    type: str = Field(..., description="place | activity")
    id: int


class CuratedIn(Schema):
    street: str
    question: str
    answer: str
    cards: list[CardRef] = []
    intent: str = "curated"
    source_id: int | None = Field(None, description="the logged question this answers (marked reviewed)")


class CuratedOut(Schema):
    id: int
    question: str
    answer: str
    intent: str
    cards: list[CardOut]


class SynonymIn(Schema):
    street: str
    term: str
    replacement: str
    source_id: int | None = None


class SynonymOut(Schema):
    id: int
    term: str
    replacement: str


class ReviewIn(Schema):
    note: str = ""
