"""The item catalogue: saving an item with its materials (the back office and the import), staff's synonyms.

Every write keeps `Item.search_text` (services.search) current."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Channel, Item, Material, MaterialForm, PreReviewFile, Synonym
from linli.affairs.services.search import item_search_text
from linli.core.errors import Problem, field_error
from linli.core.models import Role, Street, User
from linli.core.photos import ProcessedPhoto
from linli.core.selectors import require_role
from linli.core.services import audit_log

# Who edits the catalogue's example photos: the centre's staff and the street's administrators.
CATALOGUE_ROLES = (Role.STATION_STAFF, Role.ADMIN)


@dataclass(frozen=True)
class MaterialValues:
    name: str
    count: int = 1
    form: str = MaterialForm.ORIGINAL
    note: str = ""


@dataclass
class ItemValues:
    """An item as the import and the back office give it (validated by their readers)."""

    code: str
    name: str
    department: str = ""
    channels: list[str] = field(default_factory=lambda: [Channel.WINDOW.value])
    prereview: bool = False
    entrusted: bool = False
    time_limit_days: int = 0
    fee_fen: int = 0
    eligibility: str = ""
    materials: list[MaterialValues] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    legal_basis: str = ""

    def item_fields(self) -> dict[str, object]:
        return {
            "name": self.name,
            "department": self.department,
            "channels": list(self.channels),
            "prereview": self.prereview,
            "entrusted": self.entrusted,
            "time_limit_days": self.time_limit_days,
            "fee_fen": self.fee_fen,
            "eligibility": self.eligibility,
            "keywords": list(self.keywords),
            "legal_basis": self.legal_basis,
        }


def _materials_set(item: Item, materials: list[MaterialValues]) -> bool:
    """Make the item's materials those given (matched by name); True when anything changed. A material a
    pre-review still holds files for is kept (its files must stay readable) but moved to the end."""
    current = {m.name: m for m in item.materials.all()}
    changed = False
    wanted = {m.name for m in materials}
    for position, values in enumerate(materials):
        existing = current.get(values.name)
        if existing is None:
            Material.objects.create(
                item=item,
                position=position,
                name=values.name,
                count=values.count,
                form=values.form,
                note=values.note,
            )
            changed = True
            continue
        if (existing.position, existing.count, existing.form) != (position, values.count, values.form):
            existing.position, existing.count, existing.form = position, values.count, values.form
            existing.save(update_fields=["position", "count", "form"])
            changed = True
    for name, material in current.items():
        if name in wanted:
            continue
        if PreReviewFile.objects.filter(material=material).exists():
            if material.position < 1000:
                material.position = 1000 + material.position
                material.save(update_fields=["position"])
            continue
        material.delete()
        changed = True
    return changed


def item_upsert(*, street: Street, values: ItemValues) -> tuple[Item, str]:
    """Create or update the street's item `values.code`; ("created" | "updated" | "unchanged")."""
    item = Item.objects.filter(street=street, code=values.code).first()
    wanted = values.item_fields()
    if item is None:
        item = Item(street=street, code=values.code, **wanted)  # type: ignore[arg-type]
        item.search_text = ""
        item.save()
        _materials_set(item, values.materials)
        item.search_text = item_search_text(item)
        item.save(update_fields=["search_text"])
        return item, "created"
    changed = any(getattr(item, k) != v for k, v in wanted.items())
    for k, v in wanted.items():
        setattr(item, k, v)
    changed = _materials_set(item, values.materials) or changed
    text = item_search_text(item)
    if text != item.search_text:
        item.search_text = text
        changed = True
    if changed:
        item.save()
    return item, "updated" if changed else "unchanged"


@transaction.atomic
def item_save(*, street: Street, values: ItemValues, actor: User | None) -> Item:
    """The back office's save of one item (create or update by code), audited."""
    item, outcome = item_upsert(street=street, values=values)
    if outcome != "unchanged":
        audit_log(actor=actor, action=f"affairs.item_{outcome}", street=street, obj=item, data={"code": item.code})
    return item


def item_set_active(*, item: Item, active: bool, actor: User | None) -> Item:
    if item.is_active != active:
        item.is_active = active
        item.save(update_fields=["is_active", "updated_at"])
        audit_log(actor=actor, action="affairs.item_active", street=item.street, obj=item, data={"active": active})
    return item


def item_search_refresh(*, street: Street) -> int:
    """Rebuild the search text of the street's items (after synonyms changed); returns the items updated."""
    n = 0
    for item in Item.objects.filter(street=street).prefetch_related("materials"):
        text = item_search_text(item)
        if text != item.search_text:
            Item.objects.filter(pk=item.pk).update(search_text=text)
            n += 1
    return n


def synonym_add(*, street: Street, term: str, means: str, actor: User | None) -> Synonym:
    """Staff add residents' words for an affair: `term` (what they say) → `means` (the catalogue's words)."""
    term, means = " ".join(term.split()), " ".join(means.split())
    errors = []
    if not term:
        errors.append(field_error("term", _("必填项")))
    if not means:
        errors.append(field_error("means", _("必填项")))
    if len(term) > 60 or len(means) > 120:
        errors.append(field_error("term", _("内容过长")))
    if term and term == means:
        errors.append(field_error("means", _("同义词不能和原词相同")))
    if errors:
        raise Problem("validation_error", errors=errors)
    synonym, created = Synonym.objects.get_or_create(street=street, term=term, means=means)
    if created:
        audit_log(
            actor=actor, action="affairs.synonym_add", street=street, obj=synonym, data={"term": term, "means": means}
        )
    return synonym


def synonym_delete(*, synonym: Synonym, actor: User | None) -> None:
    audit_log(
        actor=actor,
        action="affairs.synonym_delete",
        street=synonym.street,
        obj=synonym,
        data={"term": synonym.term, "means": synonym.means},
    )
    synonym.delete()


def item_get(*, street: Street, code: str) -> Item:
    item = Item.objects.filter(street=street, code=code).first()
    if item is None:
        raise Problem("not_found", detail=format_lazy(_("没有编码为 {code} 的事项"), code=code))
    return item


def material_photo_set(*, material: Material, photo: ProcessedPhoto | None, actor: User) -> Material:
    """Upload or replace (a photo already checked and re-encoded by `core.photos.photo_process`, outside any
    transaction) or remove (None) the example photo (示例照片) residents see beside a material. Each new photo gets a
    new file name (no stale cached copy); the old file is deleted once the change is committed. Audit-logged."""
    street = material.item.street
    require_role(actor, street=street, roles=CATALOGUE_ROLES)
    with transaction.atomic():
        locked = Material.objects.select_for_update().select_related("item").get(pk=material.pk)
        old = locked.example_photo.name or ""
        if photo is not None:
            name = f"{locked.item.code}-{locked.pk}-{secrets.token_hex(4)}.{photo.ext}"
            locked.example_photo.save(name, ContentFile(photo.content), save=False)
        else:
            locked.example_photo = ""  # type: ignore[assignment]
        locked.save(update_fields=["example_photo"])
        audit_log(
            actor=actor,
            action="affairs.material_photo_set" if photo is not None else "affairs.material_photo_remove",
            street=street,
            obj=locked,
            data={"item": locked.item.code, "material": locked.name},
        )
        if old and old != (locked.example_photo.name or ""):
            storage = locked.example_photo.storage
            transaction.on_commit(lambda: storage.delete(old))
    return locked
