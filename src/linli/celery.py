"""Celery application. Production: a Redis (or RabbitMQ) broker and `celery -A linli worker/beat`.
Embedded mode has no broker: tasks run in-process (CELERY_TASK_ALWAYS_EAGER), so nothing else starts."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")

app = Celery("linli")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
