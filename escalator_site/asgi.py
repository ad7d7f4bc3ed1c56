"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs the apps loaded)

from escalator_site.daphne_tuning import skip_form_parsing  # noqa: E402
from escalator_site.ws_security import websocket_application  # noqa: E402

skip_form_parsing()  # daphne: no second, in-memory parse of every upload


def _resume_embedded_work() -> None:
    # Embedded mode: executions ran as threads of the previous web process.
    from django.conf import settings

    if settings.TASK_BACKEND == "thread":
        from django.db import DatabaseError

        from executor.services import resume_interrupted

        try:
            resume_interrupted()
        except DatabaseError:  # not migrated yet: nothing can have been running
            pass


_resume_embedded_work()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Exact Origin (scheme, host, port); sockets close when their session ends.
        "websocket": websocket_application(),
    }
)
