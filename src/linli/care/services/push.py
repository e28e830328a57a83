"""Telling responders about calls: a WebSocket push to each on-duty responder's console, SMS when it fails and
to each responder with no console open (consoles record their presence in the cache).

Both go out after COMMIT: the call is stored before anyone is told, and a rolled-back call tells nobody. A
failing channel layer (Redis away) or SMS backend is logged and recorded on the call (`push_failed`), never
raised: the call stays open, its clock runs (`services.calls.calls_sweep` escalates it) and a console that
connects later gets every open call from the database (`consumers.CareConsumer`).

Channel groups (`consumers.CareConsumer` joins them):
    care.<street>.user.<user_id>   one responder's consoles (a call goes to the responders on duty)
    care.<street>.lead             the street's care leads (escalations, and every call's changes)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from types import SimpleNamespace
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from linli.care.models import Call, CallAction, CallEvent, CallKind, CallStatus, Person
from linli.care.selectors import person_card
from linli.core.cache import REDIS_DOWN_ERRORS, redis_state
from linli.core.hooks import change_announce
from linli.core.i18n import choice_label_in
from linli.core.models import User
from linli.core.notifications import notify_user

logger = logging.getLogger("linli.care.push")

MESSAGE_TYPE = "care.call"
SEND_TIMEOUT_S = 5.0


def user_group(street_code: str, user_id: int) -> str:
    return f"care.{street_code}.user.{user_id}"


def lead_group(street_code: str) -> str:
    return f"care.{street_code}.lead"


PRESENCE_TTL_S = 3600  # a console that vanished without closing (a crashed process) stops counting after an hour


def _presence_key(user_id: int) -> str:
    return f"care:console:{user_id}"


def presence_join(user_id: int) -> None:
    """A responder's console connected (consumers.CareConsumer): pushes reach them live."""
    try:
        if not cache.add(_presence_key(user_id), 1, PRESENCE_TTL_S):
            cache.incr(_presence_key(user_id))
    except Exception:  # noqa: BLE001 - without presence the fallback SMS goes out, which is the safe side
        logger.warning("care console presence not recorded for user %s", user_id)


def presence_leave(user_id: int) -> None:
    try:
        if cache.decr(_presence_key(user_id)) <= 0:
            cache.delete(_presence_key(user_id))
    except Exception:  # noqa: BLE001, S110 - a missing or unreadable key: nothing to leave
        pass


def consoles_open(user_ids: list[int]) -> set[int]:
    """Those of `user_ids` with a console connected now (an unreadable cache counts as none)."""
    try:
        found = cache.get_many([_presence_key(u) for u in user_ids])
    except Exception:  # noqa: BLE001
        return set()
    return {u for u in user_ids if (found.get(_presence_key(u)) or 0) > 0}


def call_summary(call: Call) -> dict[str, Any]:
    """What a console shows: the call, and the person's card (address, contacts, notes as the consent allows).
    It reaches only care staff of the street (the groups above)."""
    person = call.person
    from_card = person_card(person) if person is not None else {}
    return {
        "id": call.pk,
        "street": call.street.code,
        "committee": call.committee.name,
        "kind": call.kind,
        "kind_label": choice_label_in(CallKind, call.kind, "zh-hans"),  # a push reaches every console
        "kind_label_en": choice_label_in(CallKind, call.kind, "en"),
        "status": call.status,
        "status_label": choice_label_in(CallStatus, call.status, "zh-hans"),
        "status_label_en": choice_label_in(CallStatus, call.status, "en"),
        "source": call.source,
        "address": (person.address if person else "") or call.address_given,
        "address_given": call.address_given,
        "note": call.note,
        "person": from_card or None,
        "lat": person.lat if person else None,
        "lng": person.lng if person else None,
        "created_at": call.created_at.isoformat(),
        "acknowledged_at": call.acknowledged_at.isoformat() if call.acknowledged_at else None,
        "acknowledged_by": str(call.acknowledged_by) if call.acknowledged_by_id and call.acknowledged_by else "",
        "on_site_at": call.on_site_at.isoformat() if call.on_site_at else None,
        "actions": list(call.actions or []),
        "action_labels": [choice_label_in(CallAction, a, "zh-hans") for a in call.actions or []],
        "action_labels_en": [choice_label_in(CallAction, a, "en") for a in call.actions or []],
        "escalated": call.escalated_at is not None,
    }


def summary_of(call: Call) -> dict[str, Any]:
    """The summary the last push of `call` in this request carried, else a fresh one."""
    return call.__dict__.get("_care_summary") or call_summary(call)


class _LayerLoop:
    """One event loop per process in a daemon thread, for a network channel layer (channels_redis keeps its
    connection pools per loop: a fresh loop per push would pay a new connection each time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="linli-care-layer", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_layer_loop = _LayerLoop()


async def _send_all(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    await asyncio.gather(*(layer.group_send(group, message) for group in groups))


def group_send(groups: list[str], message: dict[str, Any]) -> bool:
    """Send to every group; whether it went (False: no layer, Redis away, or an error, logged)."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return False
        if isinstance(layer, InMemoryChannelLayer):
            send = async_to_sync(_send_all)
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                send(layer, groups, message)
            else:  # a thread that runs an event loop (a test driving a browser): send from another thread
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    pool.submit(send, layer, groups, message).result(timeout=SEND_TIMEOUT_S)
            return True
        if not redis_state.available():
            return False
        future = asyncio.run_coroutine_threadsafe(_send_all(layer, groups, message), _layer_loop.get())
        try:
            future.result(timeout=SEND_TIMEOUT_S)
        except (*REDIS_DOWN_ERRORS, concurrent.futures.TimeoutError) as exc:  # type: ignore[misc]
            future.cancel()
            redis_state.failed("care push", exc)
            return False
        redis_state.succeeded()
        return True
    except Exception:  # noqa: BLE001 - a push failure must not break anything: the call is saved
        logger.exception("care push to %s failed", groups)
        return False


def sms_to(*, phone: str, message_zh: str, message_en: str = "") -> None:
    """An SMS to a phone that may belong to no account (a family member, the family doctor)."""
    notify_user(user=SimpleNamespace(phone=phone, language=""), message_zh=message_zh, message_en=message_en)  # type: ignore[arg-type]


def _fallback(call_id: int, users: list[User], message_zh: str, message_en: str) -> None:
    """After a failed push: record it on the call and SMS the responders (each in their language)."""
    try:
        with transaction.atomic():
            Call.objects.filter(pk=call_id).update(push_failed=True)
            CallEvent.objects.create(
                call_id=call_id, at=timezone.now(), action="push_failed", note="", data={"sms": len(users)}
            )
            for user in users:
                notify_user(user=user, message_zh=message_zh, message_en=message_en)
    except Exception:  # noqa: BLE001 - the sweep escalates the call anyway
        logger.exception("care push fallback for call %s failed", call_id)


def call_push(*, call: Call, event: str, users: list[User], sms_fallback: bool = True) -> None:
    """After commit: push the call to `users`' consoles and the street's care leads; SMS `users` if the push
    cannot go out."""
    code = call.street.code
    summary = call_summary(call)
    call.__dict__["_care_summary"] = summary  # the API's answer to a new call reuses it (`summary_of`)
    message = {"type": MESSAGE_TYPE, "event": event, "call": summary}
    groups = [user_group(code, u.pk) for u in users] + [lead_group(code)]
    where = summary["address"] or call.committee.name
    kind = summary["kind_label"]
    zh = f"{kind}：{where}（呼叫 #{call.pk}），请立即响应。"
    en = f"Care call #{call.pk} ({call.kind}) at {where}: please respond now."
    call_id = call.pk

    def send() -> None:
        pushed = group_send(groups, message)
        if not sms_fallback:
            return
        if not pushed:
            _fallback(call_id, users, zh, en)
            return
        online = consoles_open([u.pk for u in users])
        offline = [u for u in users if u.pk not in online]  # no console open: the push reached nobody
        for user in offline:
            notify_user(user=user, message_zh=zh, message_en=en)

    transaction.on_commit(send)
    change_announce(domain="care", kind=f"call.{event}", street_id=call.street_id, compound_id=person_compound_id(call))


def person_compound_id(row: Any) -> int | None:
    """The compound of a call's or visit's registered person (None without one): where a live view counts it."""
    if not row.person_id:
        return None
    if type(row).person.is_cached(row):
        return row.person.compound_id
    return Person.objects.filter(pk=row.person_id).values_list("compound_id", flat=True).first()
