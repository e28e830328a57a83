"""WSGI entry for gunicorn (pages and API in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
application = get_wsgi_application()

from linli.core.sms import sms_backend_check  # noqa: E402

sms_backend_check()  # no server that prints sign-in codes to its log outside a demo
