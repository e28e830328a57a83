"""Voice API: surveys (list, detail with questions and conditions, responses with `Idempotency-Key`, results),
needs, consultations and the public accountability list; an invited party's answer through its signed link.
Thin: parse, check permission (selectors), call a service, return."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.responses import Status

from linli.core.auth import require_user
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.core.models import Compound, User
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.voice import selectors
from linli.voice.models import Channel
from linli.voice.schemas import (
    AccountabilityOut,
    ConsultationOut,
    InvitationAnswerIn,
    InvitationOut,
    NeedIn,
    NeedOut,
    ResponseIn,
    ResponseOut,
    ResultsOut,
    SurveyDetailOut,
    SurveyIn,
    SurveyOut,
    SurveyUpdateIn,
)
from linli.voice.selectors_results import Filters, public_results_allowed, results
from linli.voice.services import invitations, needs, surveys

router = Router(tags=["voice 居民之声"])


def _user(request: HttpRequest) -> User | None:
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


class OptionalUser:
    """The signed-in user when there is one (a session's write checked for CSRF, as `require_user` does); an
    anonymous caller passes as "anonymous" (a link-only survey, the public results)."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "Authorization"

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return require_user(request)
        return "anonymous"


optional_user = OptionalUser()


@router.get("/surveys", response=list[SurveyOut], summary="问卷列表 Surveys of a street")
@problems("unknown_street")
def survey_list(request: HttpRequest, street: str) -> list[dict[str, Any]]:
    st = street_get(code=street)
    return [selectors.survey_summary(s) for s in selectors.survey_list(street=st).select_related("street")[:100]]


def _survey_detail(survey: Any, user: User | None) -> dict[str, Any]:
    return {**selectors.survey_summary(survey), "questions": selectors.survey_questions(survey),
            "answered": surveys.already_answered(survey=survey, user=user)}  # fmt: skip


@router.post("/surveys", response={201: SurveyDetailOut}, auth=require_user, summary="新建问卷 Create a survey")
@problems("unknown_street", "permission_denied", "validation_error")
def survey_new(request: HttpRequest, payload: SurveyIn) -> Any:
    """Staff of the street write a survey with its sections, questions of every type and conditions (a condition
    names an earlier question by its position in the list), its audience and its dates."""
    user = require_user(request)
    street = street_get(code=payload.street)
    selectors.staff_require(user, street=street)
    data = payload.dict()
    questions = data.pop("questions")
    data.pop("street")
    if data.get("opens_at") is None:
        data.pop("opens_at")
    title, closes_at = data.pop("title"), data.pop("closes_at")
    survey = surveys.survey_create(street=street, title=title, closes_at=closes_at, questions=questions, actor=user,
                                   **data)  # fmt: skip
    return Status(201, _survey_detail(survey, user))


@router.patch("/surveys/{int:survey_id}", response=SurveyDetailOut, auth=require_user,
              summary="修改问卷 Change a survey")  # fmt: skip
@problems("not_found", "permission_denied", "validation_error")
def survey_change(request: HttpRequest, survey_id: int, payload: SurveyUpdateIn) -> Any:
    """The fields given change; `questions` replace all the questions while nobody has answered
    (`validation_error` on `questions` once answered)."""
    user = require_user(request)
    survey = selectors.survey_get(survey_id=survey_id)
    selectors.staff_require(user, street=survey.street)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    survey = surveys.survey_update(survey=survey, **data)
    return _survey_detail(survey, user)


@router.get("/surveys/{int:survey_id}", response=SurveyDetailOut, summary="问卷 A survey with its questions")
@problems("not_found")
def survey_detail(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = selectors.survey_get(survey_id=survey_id)
    return _survey_detail(survey, _user(request))


@router.post("/surveys/{int:survey_id}/responses", response={201: ResponseOut, 200: ResponseOut},
             auth=optional_user, summary="回答问卷 Answer a survey")  # fmt: skip
@problems("not_found", "survey_closed", "already_answered", "not_in_audience", "not_authenticated",
          "permission_denied", "idempotency_key_reused")  # fmt: skip
def response_create(request: HttpRequest, survey_id: int, payload: ResponseIn) -> Any:
    """Every answer is checked against its question and the conditions (`validation_error`, each error with its
    `question_id`). A door visit (`channel=door`, staff and building-group heads) names the household and its
    consent. `client_id` makes an offline replay harmless: the same id returns the first response (200)."""
    user = _user(request)
    survey = selectors.survey_get_for_answer(survey_id=survey_id)
    try:
        client_id = uuid.UUID(payload.client_id) if payload.client_id else None
    except ValueError:
        raise Problem("validation_error", errors=[field_error("client_id", _("应为 UUID"))]) from None
    compound = None
    if payload.compound_id is not None:
        compound = Compound.objects.filter(pk=payload.compound_id, street_id=survey.street_id).first()
        if compound is None:
            raise Problem("validation_error", errors=[field_error("compound_id", _("该小区不在本街道"))])

    def run() -> tuple[int, dict[str, Any]]:
        done = surveys.response_submit(survey=survey, answers=payload.answers, user=user, client_id=client_id,
                                       channel=payload.channel, compound=compound, flat=payload.flat,
                                       consent=payload.consent, token=payload.token)  # fmt: skip
        r = done.response
        return (200 if done.duplicate else 201), {"id": r.pk, "client_id": str(r.client_id), "duplicate": done.duplicate,
                                                  "channel": r.channel, "created_at": r.created_at.isoformat()}  # fmt: skip

    return idempotent(request, scope=f"voice_response:{survey_id}", run=run)


@router.get("/surveys/{int:survey_id}/results", response=ResultsOut, auth=optional_user,
            summary="问卷结果 Results (staff: everything; public: after close, no text)")  # fmt: skip
@problems("not_found", "results_not_public")
def survey_results(request: HttpRequest, survey_id: int, committee: int | None = None,
                   channel: str = "") -> dict[str, Any]:  # fmt: skip
    survey = selectors.survey_get(survey_id=survey_id)
    user = _user(request)
    staff = selectors.is_staff(user, street=survey.street) if user else False
    if not staff and not public_results_allowed(survey):
        raise Problem("results_not_public")
    filters = Filters(committee_id=committee, channel=channel if channel in Channel.values else "")
    return results(survey, filters=filters, public=not staff).as_dict()


@router.post("/needs", response={201: NeedOut}, auth=require_user, summary="提需求 Tell us what you need")
@problems("unknown_street", "not_found")
def need_create(request: HttpRequest, payload: NeedIn) -> Any:
    st = street_get(code=payload.street)
    committee = selectors.committee_get(street=st, committee_id=payload.committee_id)
    need = needs.need_create(street=st, text=payload.text, committee=committee, raised_by=_user(request))
    return Status(201, _need_row(need))


def _need_row(n: Any) -> dict[str, Any]:
    return {"id": n.pk, "committee_id": n.committee_id, "text": n.text, "source": n.source, "status": n.status,
            "tags": n.tags, "action_kind": n.action_kind, "action_ref": n.action_ref,
            "created_at": n.created_at.isoformat()}  # fmt: skip


@router.get("/needs", response=list[NeedOut], auth=require_user, summary="需求看板 The needs board (staff)")
@problems("unknown_street", "permission_denied", "not_found")
def need_list(
    request: HttpRequest, street: str, committee: int | None = None, status: str = ""
) -> list[dict[str, Any]]:
    st = street_get(code=street)
    selectors.staff_require(_user(request), street=st)  # type: ignore[arg-type]
    c = selectors.committee_get(street=st, committee_id=committee)
    return [_need_row(n) for n in selectors.needs_board(street=st, committee=c, status=status[:16])[:500]]


@router.get("/consultations", response=list[ConsultationOut], auth=optional_user,
            summary="日日清约请 Consultations of a street or committee")  # fmt: skip
@problems("unknown_street", "not_found")
def consultation_list(request: HttpRequest, street: str, committee: int | None = None) -> list[dict[str, Any]]:
    """Staff see the problem as recorded; everyone else the public row (title, status, progress, outcome)."""
    st = street_get(code=street)
    c = selectors.committee_get(street=st, committee_id=committee)
    staff = selectors.is_staff(_user(request), street=st)
    return [
        selectors.consultation_row(x, public=not staff)
        for x in selectors.consultation_list(street=st, committee=c)[:200]
    ]


@router.get("/accountability", response=AccountabilityOut, summary="我们做了什么 What we did (public)")
@problems("unknown_street", "not_found")
def accountability(request: HttpRequest, street: str, committee: int | None = None) -> dict[str, Any]:
    st = street_get(code=street)
    return selectors.accountability(street=st, committee=selectors.committee_get(street=st, committee_id=committee))


@router.post("/invitations/{token}", response=InvitationOut, summary="受邀单位答复 An invited party answers")
@problems("invitation_invalid", "invitation_expired", "invitation_used")
def invitation_answer(request: HttpRequest, token: str, payload: InvitationAnswerIn) -> dict[str, Any]:
    """No account: the signed link is the party's key, for this invitation only, once, until it expires."""
    inv = invitations.invitation_answer(token=token, accept=payload.accept, attendee_names=payload.attendee_names)
    return {"consultation": inv.consultation.title, "committee": inv.consultation.committee.name,
            "party": inv.party, "status": inv.status, "attendee_names": inv.attendee_names}  # fmt: skip
