"""Linli (邻里): a digital service platform for urban subdistricts."""

__version__ = "0.1.0"

from linli.celery import app as celery_app  # noqa: E402  (Django convention: load Celery with the project)

__all__ = ["celery_app", "__version__"]
