"""The rider's tap page (the QR code's URL, `/access/tap/?t=...`) and the rider photo view.

Signed out, the tap page sends the rider to sign in and back with the same `t`. Signed in, the page's script
(static/access/tap.js) posts the token (and the phone's location when the rider allows it) to
`POST /api/v1/access/taps` with the CSRF token, then shows a full-screen green pass (name, photo, live clock) or a
red screen with the reason in plain words. Without JavaScript a button posts the same form to this page.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from linli.access import selectors
from linli.access.api import photo_url
from linli.access.models import RiderCredential
from linli.access.services.riders import credential_active
from linli.access.services.taps import tap_answer, tap_decide


def _float(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


@require_http_methods(["GET", "POST"])
def tap_page(request: HttpRequest) -> HttpResponse:
    token = (request.GET.get("t") or request.POST.get("t") or "").strip()[:100]
    if not request.user.is_authenticated:
        return HttpResponseRedirect(f"/login/?next={quote(request.get_full_path())}")
    user: Any = request.user
    answer = None
    if request.method == "POST" and token:  # the no-JavaScript path: the same decision as the API
        result = tap_decide(
            user=user,
            gate_token=token,
            lat=_float(request.POST.get("lat"), -90, 90),
            lng=_float(request.POST.get("lng"), -180, 180),
        )
        answer = tap_answer(result, lang=get_language() or "zh-hans", photo_url=photo_url(result.credential))
    credentials = list(RiderCredential.objects.filter(user=user).select_related("street", "partner"))
    now = timezone.now()
    ctx = {
        "token": token,
        "answer": answer,
        "credentials": [{"c": c, "active": credential_active(c, now), "photo": photo_url(c)} for c in credentials],
        # One name everywhere: the person's own (verification writes the verified real name into it).
        "rider_name": str(user),
    }
    return render(request, "access/tap.html", ctx, status=200)


@require_GET
def rider_photo(request: HttpRequest, credential_id: int) -> HttpResponseBase:
    """The rider's photo: to the rider themselves and to the street's rider staff; 404 to everyone else."""
    if not request.user.is_authenticated:
        raise Http404(str(credential_id))
    credential = RiderCredential.objects.filter(pk=credential_id).first()
    if credential is None or not credential.photo:
        raise Http404(str(credential_id))
    user: Any = request.user
    allowed = credential.user_id == user.pk or any(
        s.pk == credential.street_id for s in selectors.rider_staff_streets(user)
    )
    if not allowed:
        raise Http404(str(credential_id))
    try:
        handle = credential.photo.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(str(credential_id)) from exc
    response = FileResponse(handle, content_type=mimetypes.guess_type(credential.photo.name)[0] or "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("access/tap/", tap_page, name="tap"),
    path("access/riders/<int:credential_id>/photo/", rider_photo, name="rider_photo"),
]
