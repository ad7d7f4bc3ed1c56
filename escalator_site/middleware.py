"""Request bodies are bounded before anything reads them."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

# Room for the multipart envelope and the form's other fields around the file.
_MULTIPART_SLACK = 64 * 1024


def body_limit(content_type: str) -> int:
    if content_type.startswith("multipart/form-data"):
        return settings.INVENTORY_MAX_BYTES + _MULTIPART_SLACK
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimitMiddleware:
    """413 with a message for a body over the limit (Django checks only form fields).

    An upload's size is checked again where it is read (inventory.services).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if length > limit:
            message = (
                f"The request body is {length / 2**20:.1f} MiB; the limit is "
                f"{limit / 2**20:.1f} MiB (settings INVENTORY_MAX_BYTES for inventory "
                f"files, REQUEST_MAX_BYTES for anything else)."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
