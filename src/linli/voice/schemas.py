"""API schemas for voice: surveys with their questions, responses, results, needs, consultations and the public
accountability list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema


class SurveyOut(Schema):
    id: int
    street: str
    title: str
    intro: str
    audience: str
    one_answer: str
    status: str
    opens_at: str
    closes_at: str


class QuestionOut(Schema):
    id: int
    position: int
    section: str
    kind: str
    text: str
    help_text: str
    options: list[str]
    required: bool
    condition: dict[str, Any] | None = Field(
        None, description='{"question": id, "op": "equals|not_equals|includes", "value": ...}'
    )
    min_value: float | None
    max_value: float | None
    max_choices: int | None


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]
    answered: bool


class QuestionIn(Schema):
    kind: Literal["single", "multiple", "rating", "ranking", "short_text", "long_text", "number", "date", "photo",
                  "place"]  # fmt: skip
    text: str = Field(max_length=300)
    help_text: str = Field("", max_length=300)
    section: str = Field("", max_length=120, description="the section's title; questions with one title share it")
    options: list[str] = Field(default_factory=list, max_length=30)
    required: bool = False
    condition: dict[str, Any] | None = Field(
        None, description='shown only when an earlier question (its position in this list, from 0) answers so: '
        '{"question": 0, "op": "equals|not_equals|includes", "value": ...}')  # fmt: skip
    min_value: float | None = None
    max_value: float | None = None
    max_choices: int | None = Field(None, ge=1, le=30)


class SurveyIn(Schema):
    street: str = Field(max_length=32)
    title: str = Field(max_length=120)
    intro: str = Field("", max_length=2000)
    audience: Literal["street", "committees", "compounds", "role", "link"] = "street"
    committee_ids: list[int] = Field(default_factory=list, max_length=100)
    compound_ids: list[int] = Field(default_factory=list, max_length=500)
    role: str = Field("", max_length=32)
    one_answer: Literal["person", "household"] = "person"
    opens_at: datetime | None = None
    closes_at: datetime
    results_public: bool = True
    questions: list[QuestionIn] = Field(max_length=100)


class SurveyUpdateIn(Schema):
    """Only the fields given change; `questions` replace all questions, while nobody has answered."""

    title: str | None = Field(None, max_length=120)
    intro: str | None = Field(None, max_length=2000)
    audience: Literal["street", "committees", "compounds", "role", "link"] | None = None
    committee_ids: list[int] | None = Field(None, max_length=100)
    compound_ids: list[int] | None = Field(None, max_length=500)
    role: str | None = Field(None, max_length=32)
    one_answer: Literal["person", "household"] | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    results_public: bool | None = None
    result_summary: str | None = Field(None, max_length=2000)
    questions: list[QuestionIn] | None = Field(None, max_length=100)


class ResponseIn(Schema):
    answers: dict[str, Any] = Field(
        description="question id → value: an option index (single), a list of option "
        "indexes (multiple; ranking in order), 1–5 (rating), a number, text, "
        "YYYY-MM-DD (date), a base64 photo, {lat, lng} (place)"
    )
    client_id: str | None = Field(
        None, max_length=36, description="the device's UUID of this answer: sent twice, it is accepted once"
    )
    channel: Literal["online", "door"] = "online"
    compound_id: int | None = None
    flat: str = Field("", max_length=40, description="building and flat (门牌号) of the household")
    consent: bool = Field(False, description="door visits: the household agreed to the answers being recorded")
    token: str = Field("", max_length=64, description="a link-only survey: the link's token")


class ResponseOut(Schema):
    id: int
    client_id: str
    duplicate: bool
    channel: str
    created_at: str


class ResultsOut(Schema):
    survey_id: int
    title: str
    status: str
    total: int
    by_channel: dict[str, int]
    coverage: list[dict[str, Any]]
    questions: list[dict[str, Any]]


class NeedIn(Schema):
    street: str = Field(max_length=40)
    text: str = Field(max_length=500)
    committee_id: int | None = None


class NeedOut(Schema):
    id: int
    committee_id: int | None
    text: str
    source: str
    status: str
    tags: list[str]
    action_kind: str
    action_ref: str
    created_at: str


class ConsultationOut(Schema):
    id: int
    committee_id: int
    committee: str
    title: str
    status: str
    progress: int
    actions_total: int
    actions_done: int
    created_at: str
    closed_at: str | None
    outcome: str
    problem: str = ""


class AccountabilityOut(Schema):
    street: str
    committee_id: int | None
    counts: dict[str, Any]
    consultations: list[ConsultationOut]
    surveys: list[dict[str, Any]]


class InvitationAnswerIn(Schema):
    accept: bool
    attendee_names: str = Field("", max_length=200)


class InvitationOut(Schema):
    consultation: str
    committee: str
    party: str
    status: str
    attendee_names: str
