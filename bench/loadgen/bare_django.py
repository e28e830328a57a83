"""A bare Django project in one file: no middleware, no database, one JSON view, the same gunicorn arrangement.

`gunicorn --chdir bench/loadgen bare_django:application`. bench_booking_storm.py measures it beside Linli's own
ping: the gap between the two is what Linli's middleware and django-ninja cost per request, and this one is
what Django itself costs over a bare WSGI app (bare_wsgi.py).
"""

from __future__ import annotations

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-django",  # noqa: S106 - a throwaway process serving one constant answer
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_I18N=False,
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"pong": True})


urlpatterns = [path("api/v1/ping", ping)]
application = get_wsgi_application()
