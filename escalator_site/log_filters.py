"""Refusals are logged as one line each; only server errors carry a traceback.

Django logs a PermissionDenied, an Http404 or a SuspiciousOperation with the
whole traceback; a wrong URL or a missing role is not a fault of the site, and
thirty lines each drown the real errors.
"""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or status >= 500 or not record.exc_info:
            return True
        exc = record.exc_info[1]
        request = getattr(record, "request", None)
        user = getattr(getattr(request, "user", None), "username", "") or "anonymous"
        reason = f" ({exc})" if exc is not None and str(exc) else ""
        record.msg = f"{record.getMessage()}{reason} user={user}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True
