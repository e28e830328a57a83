"""Telling staff about cases: real-time pushes over the channel layer and SMS for urgent categories.

Both go out after COMMIT (`transaction.on_commit`): a rolled-back write tells nobody, and a push never shows a
state the database does not hold. A failing channel layer or SMS backend is logged, never raised: the report or
transition that caused the notice is already saved.

Channel groups (the consumer subscribes a connected staff user to those their roles and grids allow):
    cases.<street>.hq                    every case of the street (street HQ, safety officers)
    cases.<street>.grid.<grid_id>        the case's grid and each of its ancestors
    cases.<street>.role.<role>           each role the category names (CaseCategory.roles)
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from linli.cases.models import Case, CaseStatus, Queue
from linli.cases.selectors import grid_ancestor_ids
from linli.cases.services.fast import role_holders
from linli.core import pushes
from linli.core.hooks import change_announce
from linli.core.i18n import choice_label_in
from linli.core.models import Role, User
from linli.core.notifications import notify_user
from linli.core.phones import mask_personal_text
from linli.places.gazetteer import spot_texts

MESSAGE_TYPE = "case.changed"


def case_summary(case: Case) -> dict[str, Any]:
    """What a push carries: enough for a console row, its filters and a map pin; no personal information (the
    reporter is never named; the description is what every case staff member of the street sees in the list)."""
    category = case.category
    grid = case.grid
    return {
        "id": case.pk,
        "street": case.street.code,
        "status": case.status,
        "status_label": choice_label_in(CaseStatus, case.status, "zh-hans"),  # a push reaches every console
        "status_label_en": choice_label_in(CaseStatus, case.status, "en"),
        "category": {
            "code": category.code,
            "name": category.name_zh,
            "name_en": category.name_en,
            "urgent": category.urgent,
        },
        "grid": {"id": grid.pk, "external_id": grid.external_id, "name": grid.name} if grid else None,
        "queue": case.queue,
        "lat": case.lat,
        "lng": case.lng,
        "address": case.address,
        "where": spot_texts(case.street, case.lat, case.lng)[0],  # the spot in words (compound · road · place)
        "description": mask_personal_text(case.description),  # as the list shows it (its text filter searches it)
        "reports_count": case.reports_count,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat() if case.updated_at else None,
        "resolution_due_at": case.resolution_due_at.isoformat() if case.resolution_due_at else None,
        "escalated": case.escalated_at is not None,
    }


def case_grid_chain(case: Case) -> list[int]:
    """The case's grid and its ancestors, root first ([] without a grid). Remembered on the instance for its
    current grid: a new report asks for it twice (push groups, SMS receivers)."""
    if not case.grid_id:
        return []
    memo = case.__dict__.get("_grid_chain")
    if memo is None or memo[0] != case.grid_id:
        memo = (case.grid_id, grid_ancestor_ids(case.grid_id, street_id=case.street_id))
        case.__dict__["_grid_chain"] = memo
    return list(memo[1])


def case_grid_chain_remember(case: Case, chain: list[int]) -> None:
    """Tell `case_grid_chain` the chain of the case's grid when the caller already holds it (a new report's
    point lookup returns the grid and its ancestors): saves a query per report."""
    if case.grid_id and chain and chain[-1] == case.grid_id:
        case.__dict__["_grid_chain"] = (case.grid_id, list(chain))


def case_groups(case: Case) -> list[str]:
    """The channel groups a change of `case` goes to (see the module docstring)."""
    code = case.street.code
    groups = [f"cases.{code}.hq"]
    groups += [f"cases.{code}.grid.{gid}" for gid in case_grid_chain(case)]
    for role in case.category.roles or []:
        groups.append(f"cases.{code}.role.{role}")
    return list(dict.fromkeys(groups))


def _group_send(groups: list[str], message: dict[str, Any]) -> None:
    """Send `message` to every group (`linli.core.pushes`: one event loop per process for Redis; skipped while
    Redis is away, and the consoles, whose sockets dropped with Redis, catch up on every change from the database
    when they reconnect: `CasesConsumer`'s cursor)."""
    pushes.group_send(groups, message, what="case push")


def case_push(*, case: Case, event: str) -> None:
    """Send {"type": "case.changed", "event": event, "case": summary} to the case's groups after commit.

    The summary is taken now (inside the transaction, with the values just written)."""
    message = {"type": MESSAGE_TYPE, "event": event, "case": case_summary(case)}
    groups = case_groups(case)
    transaction.on_commit(lambda: _group_send(groups, message))
    change_announce(domain="cases", kind=f"case.{event}", street_id=case.street_id, grid_id=case.grid_id)


# ------------------------------------------------------------------------------------------ receivers


def grid_workers_for(case: Case) -> list[User]:
    """The grid workers of the case's grid; when that grid has none, those of the nearest ancestor that has."""
    return _receivers(case, other_roles=set())[0]


def _receivers(case: Case, *, other_roles: set[str]) -> tuple[list[User], list[User]]:
    """(grid workers of the deepest grid of the case's chain that has any, active holders of `other_roles` in
    the street), from ONE query over the street's role assignments."""
    chain = case_grid_chain(case)
    by_grid: dict[int, dict[int, User]] = {}
    others: dict[int, User] = {}
    for ra, user in role_holders(street_id=case.street_id, roles=sorted(other_roles), grid_ids=chain):
        if ra.role == Role.GRID_WORKER and ra.grid_id in chain:
            by_grid.setdefault(ra.grid_id, {}).setdefault(user.pk, user)
        if ra.role in other_roles:
            others.setdefault(user.pk, user)
    workers: list[User] = []
    for gid in reversed(chain):  # deepest first
        if gid in by_grid:
            workers = list(by_grid[gid].values())
            break
    return workers, list(others.values())


def case_receivers(case: Case) -> list[User]:
    """Who is told of a case: grid workers (walking up the grid tree), the street's safety officers, the roles
    the category names, and the street's admins when the case sits in the HQ queue."""
    roles = {Role.SAFETY_OFFICER, *[r for r in (case.category.roles or []) if r != Role.GRID_WORKER]}
    if case.queue == Queue.HQ or not case.grid_id:
        roles.add(Role.ADMIN)
    workers, others = _receivers(case, other_roles={str(r) for r in roles})
    users: dict[int, User] = {u.pk: u for u in workers}
    for user in others:
        users.setdefault(user.pk, user)
    return list(users.values())


def street_admins(street_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, roles__street_id=street_id, roles__role=Role.ADMIN).distinct())


def case_sms(*, users: list[User], message_zh: str, message_en: str = "") -> int:
    """SMS each of `users` after commit (through the activities notify path); return how many were queued."""
    for user in users:
        notify_user(user=user, message_zh=message_zh, message_en=message_en)
    return len(users)


def where(case: Case) -> tuple[str, str]:
    """Where the case is, in words a worker finds it by, in Chinese and English: the compound, the road, the
    nearest service point (`linli.places.gazetteer`), then the reporter's own description of the spot."""
    zh, en = spot_texts(case.street, case.lat, case.lng)
    if not zh:
        zh = en = (case.grid.name if case.grid else "") or f"{case.lat:.5f},{case.lng:.5f}"
    if case.address:
        zh, en = f"{zh}（{case.address}）", f"{en} ({case.address})"
    return zh, en


def case_sms_urgent(*, case: Case) -> int:
    """For urgent categories: SMS the receiving staff of a new case. Returns how many were told."""
    if not case.category.urgent:
        return 0
    where_zh, where_en = where(case)
    return case_sms(
        users=case_receivers(case),
        message_zh=f"紧急事件 #{case.pk}「{case.category.name_zh}」：{where_zh}，请尽快处置。",
        message_en=f"Urgent case #{case.pk} ({case.category.name_en or case.category.code}) at {where_en}.",
    )
