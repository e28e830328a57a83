"""Staff pages: the catalogue (edit, import, synonyms), the pre-review queue and each review, the centre head's
resources and slot templates (with exceptions and no-show suspensions), and booking for a caller on the phone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from linli.affairs import selectors
from linli.affairs.models import (
    Channel,
    FileReview,
    Item,
    PreReview,
    PreReviewStatus,
    Resource,
    ResourceKind,
    SlotTemplate,
    Suspension,
    Synonym,
)
from linli.affairs.services import appointments as appointment_services
from linli.affairs.services import items as item_services
from linli.affairs.services import prereviews as prereview_services
from linli.affairs.services import slots as slot_services
from linli.affairs.services.closures_ics import closures_import
from linli.affairs.services.items_import import CSV_HELP, item_values_from_cells, items_import
from linli.affairs.views.common import head_street, staff_street
from linli.affairs.views.resident import slot_days
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.pages import problem_message
from linli.core.photos import photo_process
from linli.core.services import user_get_or_create
from linli.places.models import Place

SH = ZoneInfo("Asia/Shanghai")


# -------------------------------------------------------------------------------------------- catalogue


class ItemForm(forms.Form):
    code = forms.CharField(label=_("事项编码"), max_length=40)
    name = forms.CharField(label=_("事项名称"), max_length=120)
    department = forms.CharField(label=_("主管部门"), max_length=120, required=False)
    channels = forms.MultipleChoiceField(
        label=_("办理渠道"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    prereview = forms.BooleanField(label=_("可网上预审"), required=False)
    entrusted = forms.BooleanField(label=_("可委托代办"), required=False)
    office_hours = forms.BooleanField(label=_("白领延时/周末可约"), required=False)
    time_limit_days = forms.IntegerField(label=_("办结时限（工作日）"), min_value=0, max_value=365, initial=0)
    fee_fen = forms.IntegerField(label=_("收费（分）"), min_value=0, max_value=100_000_000, initial=0)
    eligibility = forms.CharField(label=_("办理对象"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    materials = forms.CharField(
        label=_("材料（每行一项：名称*份数*original|copy）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    keywords = forms.CharField(label=_("关键词（用 | 分隔）"), max_length=1000, required=False)
    legal_basis = forms.CharField(label=_("办理依据"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


@require_http_methods(["GET", "POST"])
def staff_catalogue(request: HttpRequest) -> HttpResponse:
    """The street's catalogue: every item, the CSV import (all or nothing), export, and residents' synonyms."""
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    user = request_user(request)
    problem = None
    result = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            upload = request.FILES.get("file")
            if action == "import" and upload is not None:
                result = items_import(street=street, text=upload.read(), actor=user)
            elif action == "synonym_add":
                item_services.synonym_add(
                    street=street, term=request.POST.get("term", ""), means=request.POST.get("means", ""), actor=user
                )
                return HttpResponseRedirect(f"{request.path}?street={street.code}&done=synonym#synonyms")
            elif action == "synonym_delete":
                synonym = Synonym.objects.filter(street=street, pk=request.POST.get("synonym") or 0).first()
                if synonym:
                    item_services.synonym_delete(synonym=synonym, actor=user)
                return HttpResponseRedirect(f"{request.path}?street={street.code}#synonyms")
        except Problem as exc:
            problem = problem_message(exc)
            problem["errors"] = [str(e.get("message", "")) for e in exc.errors]
    items = list(selectors.items_with_materials(Item.objects.filter(street=street).order_by("code")))
    return render(
        request,
        "affairs/staff/catalogue.html",
        {
            "street": street,
            "streets": streets,
            "items": items,
            "synonyms": Synonym.objects.filter(street=street).order_by("term"),
            "problem": problem,
            "result": result,
            "csv_help": CSV_HELP,
            "done": request.GET.get("done", ""),
        },
        status=422 if problem else 200,
    )


def _initial(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "department": item.department,
        "channels": item.channels,
        "prereview": item.prereview,
        "entrusted": item.entrusted,
        "office_hours": item.office_hours,
        "time_limit_days": item.time_limit_days,
        "fee_fen": item.fee_fen,
        "eligibility": item.eligibility,
        "materials": "\n".join(
            f"{m.name}*{m.count}*{m.form}" for m in item.materials.order_by("position") if m.position < 1000
        ),
        "keywords": "|".join(item.keywords or []),
        "legal_basis": item.legal_basis,
    }


@require_http_methods(["GET", "POST"])
def staff_item_edit(request: HttpRequest, item_id: int | None = None) -> HttpResponse:
    """Create or edit one item (the same rules as the import)."""
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    item = None
    if item_id is not None:
        item = Item.objects.filter(pk=item_id, street__in=streets).select_related("street").first()
        if item is None:
            raise Http404(str(item_id))
        street = item.street
    form = ItemForm(request.POST or None, initial=_initial(item) if item else None)
    problem = None
    if request.method == "POST" and request.POST.get("action") == "photo" and item is not None:
        problem = _material_photo_post(request, item)
        if problem is None:
            return HttpResponseRedirect(f"{request.path}?street={street.code}&done=photo#materials")
        form = ItemForm(initial=_initial(item))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            materials_cell = ";".join(line.strip() for line in data["materials"].splitlines() if line.strip())
            from_csv = _values_from_form(data, materials_cell)
            saved = item_services.item_save(street=street, values=from_csv, actor=request_user(request))
            if saved.office_hours != data["office_hours"]:
                Item.objects.filter(pk=saved.pk).update(office_hours=data["office_hours"])
            return HttpResponseRedirect(f"{reverse('affairs:staff_catalogue')}?street={street.code}&done=saved")
        except Problem as exc:
            problem = problem_message(exc)
    materials = list(item.materials.filter(position__lt=1000).order_by("position")) if item else []
    return render(
        request,
        "affairs/staff/item_form.html",
        {
            "street": street,
            "streets": streets,
            "form": form,
            "item": item,
            "materials": materials,
            "problem": problem,
            "done": request.GET.get("done", ""),
        },
        status=422 if (problem or form.errors) else 200,
    )


def _material_photo_post(request: HttpRequest, item: Item) -> dict[str, Any] | None:
    """Upload, replace or remove one material's example photo; the photo is checked and re-encoded (metadata
    stripped) before the service's transaction. None when done, else the problem to show."""
    material = item.materials.filter(pk=request.POST.get("material") or 0).first()
    try:
        if material is None:
            raise Problem("not_found")
        if request.POST.get("remove") == "1":
            photo = None
        elif "photo" not in request.FILES:
            raise Problem("photo_invalid", detail=_("请选择一张照片"))
        else:
            photo = photo_process(request.FILES["photo"])
        item_services.material_photo_set(material=material, photo=photo, actor=request_user(request))
    except Problem as exc:
        return problem_message(exc)
    return None


def _values_from_form(data: dict[str, Any], materials_cell: str) -> item_services.ItemValues:
    return item_values_from_cells(
        {
            "code": data["code"],
            "name": data["name"],
            "department": data["department"],
            "channels": "|".join(data["channels"]),
            "prereview": "yes" if data["prereview"] else "no",
            "entrusted": "yes" if data["entrusted"] else "no",
            "time_limit_days": str(data["time_limit_days"]),
            "fee_fen": str(data["fee_fen"]),
            "eligibility": data["eligibility"],
            "materials": materials_cell,
            "keywords": data["keywords"],
            "legal_basis": data["legal_basis"],
        }
    )


# ------------------------------------------------------------------------------------------ pre-reviews


@require_http_methods(["GET"])
def staff_prereviews(request: HttpRequest) -> HttpResponse:
    """The pre-review queue: waiting ones first, oldest deadline first; overdue ones marked."""
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    show = request.GET.get("show") if request.GET.get("show") in PreReviewStatus.values else PreReviewStatus.SUBMITTED
    queue = list(selectors.prereview_queue(street=street, status=show)[:300])
    counts = {
        s: PreReview.objects.filter(street=street, status=s).count()
        for s in (PreReviewStatus.SUBMITTED, PreReviewStatus.NEEDS_CORRECTION, PreReviewStatus.APPROVED)
    }
    return render(
        request,
        "affairs/staff/prereviews.html",
        {
            "street": street,
            "streets": streets,
            "queue": queue,
            "show": show,
            "statuses": PreReviewStatus.choices,
            "counts": counts,
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
def staff_prereview(request: HttpRequest, prereview_id: int) -> HttpResponse:
    """Review each material of one pre-review: accept, needs correction (with a reason), reject."""
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    pr = PreReview.objects.select_related("item", "user", "street").filter(pk=prereview_id, street__in=streets).first()
    if pr is None:
        raise Http404(str(prereview_id))
    problem = None
    files = selectors.prereview_files_current(prereview=pr)
    if request.method == "POST":
        decisions = {
            f.pk: (request.POST.get(f"review_{f.pk}", ""), request.POST.get(f"reason_{f.pk}", ""))
            for f in files
            if f.review == FileReview.PENDING
        }
        try:
            prereview_services.prereview_review(prereview=pr, reviewer=request_user(request), decisions=decisions)
            return HttpResponseRedirect(
                f"{reverse('affairs:staff_prereviews')}?street={pr.street.code}&done={pr.status}"
            )
        except Problem as exc:
            problem = problem_message(exc)
            pr.refresh_from_db()
    return render(
        request,
        "affairs/staff/prereview.html",
        {
            "street": pr.street,
            "streets": streets,
            "pr": pr,
            "files": files,
            "events": list(pr.events.all()),
            "problem": problem,
            "reviews": [
                (FileReview.ACCEPTED, _("通过")),
                (FileReview.NEEDS_CORRECTION, _("需补正")),
                (FileReview.REJECTED, _("不通过")),
            ],
            "materials": prereview_services.materials_of(pr.item),
        },
        status=422 if problem else 200,
    )


# -------------------------------------------------------------------------------------- templates (head)


def _closures_import(request: HttpRequest, street: Any, user: Any) -> str:
    """The templates page's iCalendar import: into one resource, or every resource of a centre (`place:<id>`)."""
    target = request.POST.get("target", "")
    qs = Resource.objects.filter(street=street, is_active=True)
    if target.startswith("place:") and target[6:].isdigit():
        resources = list(qs.filter(place_id=int(target[6:])))
    else:
        resources = list(qs.filter(pk=int(target) if target.isdigit() else 0))
    upload = request.FILES.get("file")
    if not resources or upload is None:
        raise Problem("not_found" if not resources else "validation_error")
    result = closures_import(resources=resources, text=upload.read(), actor=user)
    return f"closures-{result['created']}-{result['updated']}"


@require_http_methods(["GET", "POST"])
def staff_templates(request: HttpRequest) -> HttpResponse:
    """The centre head's page: resources (windows, remote points, door-to-door), their slot templates and
    exceptions, and the people whose online booking the no-show rule suspended (lift it here)."""
    street, streets, denied = head_street(request)
    if denied:
        return denied
    user = request_user(request)
    problem = None
    done = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "resource_add":
                place = Place.objects.filter(street=street, pk=request.POST.get("place") or 0).first()
                if place is None:
                    raise Problem("not_found")
                slot_services.resource_add(
                    place=place, name=request.POST.get("name", ""), kind=request.POST.get("kind", ""), actor=user
                )
                done = "resource"
            elif action == "template_add":
                resource = Resource.objects.filter(street=street, pk=request.POST.get("resource") or 0).first()
                if resource is None:
                    raise Problem("not_found")
                slot_services.template_add(
                    resource=resource,
                    days=request.POST.get("days", ""),
                    times=request.POST.get("times", ""),
                    minutes=int(request.POST.get("minutes") or 0),
                    places=int(request.POST.get("places") or 0),
                    items=(request.POST.get("items") or "").replace("，", ",").split(","),
                    actor=user,
                )
                done = "template"
            elif action == "template_stop":
                template = SlotTemplate.objects.filter(
                    resource__street=street, pk=request.POST.get("template") or 0
                ).first()
                if template is not None:
                    slot_services.template_deactivate(template=template, actor=user)
                done = "stopped"
            elif action == "exception_add":
                resource = Resource.objects.filter(street=street, pk=request.POST.get("resource") or 0).first()
                start = dt.datetime.fromisoformat(request.POST.get("start", "")).replace(tzinfo=SH)
                end = dt.datetime.fromisoformat(request.POST.get("end", "")).replace(tzinfo=SH)
                if resource is None:
                    raise Problem("not_found")
                slot_services.exception_add(
                    resource=resource, start=start, end=end, reason=request.POST.get("reason", ""), actor=user
                )
                done = "exception"
            elif action == "closures_import":
                done = _closures_import(request, street, user)
            elif action == "lift":
                suspension = Suspension.objects.filter(street=street, pk=request.POST.get("suspension") or 0).first()
                if suspension is not None:
                    appointment_services.suspension_lift(suspension=suspension, actor=user)
                done = "lifted"
            if done:
                return HttpResponseRedirect(f"{request.path}?street={street.code}&done={done}")
        except Problem as exc:
            problem = problem_message(exc)
        except ValueError:
            problem = problem_message(Problem("validation_error"))
    resources = list(selectors.resources_of(street=street).prefetch_related("templates__items", "exceptions"))
    return render(
        request,
        "affairs/staff/templates.html",
        {
            "street": street,
            "streets": streets,
            "resources": resources,
            "kinds": ResourceKind.choices,
            "places": Place.objects.filter(street=street, is_active=True).order_by("kind", "name"),
            "centres": Place.objects.filter(affair_resources__street=street).distinct().order_by("name"),
            "suspensions": selectors.suspensions_active(street=street),
            "problem": problem,
            "done": request.GET.get("done", ""),
        },
        status=422 if problem else 200,
    )


# ------------------------------------------------------------------------------------- booking for a caller


@require_http_methods(["GET", "POST"])
def staff_book(request: HttpRequest) -> HttpResponse:
    """A resident calls: staff find the item, pick a slot and book it for the caller's phone number (the no-show
    suspension of online booking does not apply); the resident gets the SMS."""
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    problem = None
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()
    item_id = request.POST.get("item") or request.GET.get("item")
    item = (
        Item.objects.filter(street=street, pk=item_id, is_active=True).first()
        if item_id and item_id.isdigit()
        else None
    )
    booked = None
    if request.method == "POST" and item is not None:
        try:
            caller = user_get_or_create(phone=phone)
            booked = appointment_services.appointment_book(
                slot=int(request.POST.get("slot") or 0), item=item, user=caller, booked_by=request_user(request)
            )
        except Problem as exc:
            problem = problem_message(exc)
    q = (request.GET.get("q") or "").strip()[:100]
    found = selectors.items_search(street=street, q=q, limit=20) if q else []
    days = slot_days(selectors.slots_free(item=item, limit=200)) if item is not None and booked is None else []
    return render(
        request,
        "affairs/staff/book.html",
        {
            "street": street,
            "streets": streets,
            "q": q,
            "found": found,
            "item": item,
            "phone": phone,
            "days": days,
            "booked": booked,
            "problem": problem,
        },
        status=409 if problem else 200,
    )
