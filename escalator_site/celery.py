"""The Celery application: used when TASK_BACKEND=celery (scale-out)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")

app = Celery("escalator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
