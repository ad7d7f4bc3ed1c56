from __future__ import annotations

from django.apps import AppConfig


class EscalatorSiteConfig(AppConfig):
    name = "escalator_site"
    verbose_name = "Escalator"

    def ready(self) -> None:
        from escalator_site import (
            checks,  # noqa: F401  (registers the system checks)
            ws_security,  # noqa: F401  (closes sockets at logout)
        )
