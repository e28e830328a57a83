"""The family's care page: a family member named as a contact (by phone) signs in with the usual SMS code and sees
the entry of the person they look after, corrects contacts and health notes, or asks the committee to correct the
rest (services.family: consent rules, audit rows). Anyone else gets the same "nothing here" page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from linli.care.models import Group, Share
from linli.care.services import family, register
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.pages import login_redirect, problem_message


@require_http_methods(["GET"])
def family_home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    people = family.family_entries(request_user(request))
    if len(people) == 1:
        return HttpResponseRedirect(reverse("care:family_person", args=[people[0].pk]))
    return render(request, "care/family.html", {"people": people})


def _contacts_posted(request: HttpRequest, person: Any) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for contact in person.contacts.all():
        key = f"contact-{contact.pk}-"
        if f"{key}name" in request.POST:
            out[contact.pk] = {
                "name": request.POST.get(f"{key}name", contact.name),
                "relation": request.POST.get(f"{key}relation", contact.relation),
                # A phone is shown masked and left empty in the form: empty keeps the number held.
                "phone": request.POST.get(f"{key}phone", "").strip() or contact.phone,
            }
    return out


@require_http_methods(["GET", "POST"])
def family_person(request: HttpRequest, person_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    try:
        person = family.family_person(user=user, person_id=person_id)
    except Problem as exc:
        raise Http404(str(person_id)) from exc
    problem = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "contacts":
                family.family_correct(actor=user, person=person, contacts=_contacts_posted(request, person))
            elif action == "notes":
                family.family_correct(actor=user, person=person, health_notes=request.POST.get("health_notes", ""))
            elif action == "correction":
                register.correction_request(person=person, user=user, text=request.POST.get("text", ""))
            else:
                raise Problem("validation_error")
            return HttpResponseRedirect(f"{reverse('care:family_person', args=[person.pk])}?done={action}")
        except Problem as exc:
            problem = problem_message(exc)
    else:
        family.family_view(actor=user, person=person)
    consent = person.consents.filter(withdrawn_at__isnull=True).first()
    context = {
        "person": person,
        "groups": [choice_label(Group, g) for g in person.groups],
        "contacts": person.contacts.all(),
        "consent": consent,
        "shares": [choice_label(Share, s) for s in (consent.shares if consent else [])],
        "corrections": person.corrections.filter(requested_by=user).order_by("-created_at")[:5],
        "done": request.GET.get("done", ""),
        "problem": problem,
    }
    return render(request, "care/family_person.html", context, status=422 if problem else 200)


urlpatterns = [
    path("care/family/", family_home, name="family"),
    path("care/family/<int:person_id>/", family_person, name="family_person"),
]
