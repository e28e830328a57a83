"""Build (and rebuild) the sample street through the regular services. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from linli.activities.calendar import activities_import
from linli.activities.models import Activity, ActivitySeries
from linli.core.errors import Problem
from linli.core.imports import compounds_import, grids_import
from linli.core.models import Committee, Grid, GridLevel, RoleAssignment, Street, User
from linli.core.services import role_assign, street_create, user_get_or_create, user_update
from linli.demo import (
    ACCOUNTS,
    ADMIN_PASSWORD,
    COMMITTEES,
    COMPOUNDS_FILE,
    GRIDS_FILE,
    PLACES_FILE,
    STREET,
    STREET_CODE,
    DemoAccount,
    load_collection,
)
from linli.demo.activities import demo_activities_ics
from linli.demo.affairs import affairs_demo_load, affairs_demo_reset
from linli.demo.affairs_queue import demo_queue_load, demo_queue_reset
from linli.demo.care import care_demo_load, care_demo_reset
from linli.demo.cases import cases_demo_load, cases_demo_reset
from linli.demo.dashboard import dashboard_demo_load, dashboard_demo_reset
from linli.demo.jobs import jobs_demo_load, jobs_demo_reset
from linli.demo.meals import demo_meals_load, meals_reset
from linli.demo.voice import voice_demo_load, voice_demo_reset
from linli.demo.volunteers import volunteers_demo_load, volunteers_demo_reset
from linli.places.services import places_import, places_index_bump


class DemoError(Exception):
    """The demo cannot run (e.g. a real street already uses the sample code)."""


@dataclass
class DemoResult:
    street: Street
    street_created: bool
    imports: dict[str, dict[str, int]] = field(default_factory=dict)
    committees_created: int = 0
    accounts: list[tuple[DemoAccount, User]] = field(default_factory=list)


def demo_reset(*, code: str = STREET_CODE) -> bool:
    """Delete the sample street and everything that belongs to it. Refuses a street not marked as sample."""
    street = Street.objects.filter(code=code).first()
    if street is None:
        return False
    if not street.is_sample:
        raise DemoError(f"街道 {code} 不是示例数据，拒绝删除 / street {code} is not sample data; refusing to delete it")
    with transaction.atomic():
        # The dashboard's history: its bookings protect the sample residents, its visits the registered people.
        dashboard_demo_reset(street)
        # Cases, reports and categories protect each other and point at grids: they go first.
        cases_demo_reset(street)
        care_demo_reset(street)
        volunteers_demo_reset(street)
        jobs_demo_reset(street)
        voice_demo_reset(street)
        # Grid.parent is PROTECT: remove units, then workstations, then the HQ before the street cascades.
        for level in (GridLevel.UNIT, GridLevel.WORKSTATION, GridLevel.HQ):
            Grid.objects.filter(street=street, level=level).delete()
        Grid.objects.filter(street=street).delete()
        # Activity.place and ActivitySeries.place are PROTECT (a venue with activities can't vanish): activities
        # (with their bookings) go first.

        # Appointments and pre-reviews point at sample residents and places (PROTECT): before the meals reset,
        # which deletes the sample residents. The queue's tickets and remote sessions point at them: first.
        demo_queue_reset(street)
        affairs_demo_reset(street)
        # Meal orders point at activities, venues and menus (PROTECT): the meals rows go first.
        meals_reset(street)
        Activity.objects.filter(street=street).delete()
        ActivitySeries.objects.filter(street=street).delete()
        street.delete()
        # The cascade bypasses the place services: mark the nearest-search index stale ourselves.

        transaction.on_commit(places_index_bump)
    return True


def _street() -> tuple[Street, bool]:
    try:
        return street_create(**STREET, is_sample=True), True  # type: ignore[arg-type]
    except Problem as exc:
        if exc.code != "street_exists":
            raise
    street = Street.objects.get(code=STREET["code"])
    if not street.is_sample:
        raise DemoError(f"街道 {street.code} 已存在且不是示例数据 / street {street.code} exists and is not sample data")
    return street, False


def _committees(street: Street) -> int:
    created = 0
    for ext_id, name, address, phone in COMMITTEES:
        obj, was_created = Committee.objects.get_or_create(
            street=street, external_id=ext_id, defaults={"name": name, "address": address, "phone": phone}
        )
        if not was_created and (obj.name, obj.address, obj.phone) != (name, address, phone):
            obj.name, obj.address, obj.phone = name, address, phone
            obj.save(update_fields=["name", "address", "phone"])
        created += was_created
    return created


def _account(street: Street, account: DemoAccount) -> User:
    user = user_get_or_create(phone=account.phone, display_name=account.display_name)
    if user.display_name != account.display_name:
        user_update(user=user, display_name=account.display_name)
    if account.elder and not user.elder_mode:
        user_update(user=user, elder_mode=True)
    if user.home_street_id is None:
        user.home_street = street
        user.save(update_fields=["home_street"])
    if account.superuser:
        fields = []
        if not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            fields += ["is_staff", "is_superuser"]
        if not user.check_password(ADMIN_PASSWORD):
            user.set_password(ADMIN_PASSWORD)
            fields.append("password")
        if fields:
            user.save(update_fields=fields)
    if account.role:
        grid = Grid.objects.get(street=street, external_id=account.grid) if account.grid else None
        held = RoleAssignment.objects.filter(user=user, street=street, role=account.role).first()
        if held is None or (grid is not None and held.grid_id != grid.pk):
            role_assign(user=user, street=street, role=account.role, grid=grid)
    return user


def demo_load(*, reset: bool = False) -> DemoResult:
    """Create or refresh the sample street, its grids, compounds, service points and demo accounts."""
    with transaction.atomic():
        if reset:
            demo_reset()
        street, created = _street()
        result = DemoResult(street=street, street_created=created)
        result.committees_created = _committees(street)
        result.imports["grids"] = grids_import(street=street, collection=load_collection(GRIDS_FILE)).as_dict()
        # The compounds file names each compound's committee (created above): the import links them.
        compounds = load_collection(COMPOUNDS_FILE)
        result.imports["compounds"] = compounds_import(street=street, collection=compounds).as_dict()
        result.imports["places"] = places_import(street=street, collection=load_collection(PLACES_FILE)).as_dict()
        result.imports["activities"] = activities_import(street=street, text=demo_activities_ics()).as_dict()
        for account in ACCOUNTS:
            result.accounts.append((account, _account(street, account)))
        meals = demo_meals_load(street=street)
        result.imports["meals"] = meals.counts
        known = {account.key for account, _user in result.accounts}
        result.accounts.extend((a, u) for a, u in meals.accounts if a.key not in known)
        result.imports["cases"] = cases_demo_load(street).counts
        result.imports["affairs"] = affairs_demo_load(street).counts
        by_key = {account.key: user for account, user in result.accounts}
        result.imports["care"] = care_demo_load(street, accounts=by_key).counts
        result.imports["volunteers"] = volunteers_demo_load(street, accounts=by_key).counts
        result.imports["jobs"] = jobs_demo_load(street, worker=by_key.get("employment_worker"))
        result.imports["voice"] = voice_demo_load(
            street, actor=by_key.get("admin"), building_head=by_key.get("building_head")
        )
        clerks = [u for a, u in result.accounts if a.key in ("station_staff", "admin")]
        result.imports["affairs_queue"] = demo_queue_load(street=street, clerks=clerks)
        # Last: three months of history in every domain, and the dashboard's counters rebuilt from it.
        result.imports["dashboard"] = dashboard_demo_load(street).counts
    return result
