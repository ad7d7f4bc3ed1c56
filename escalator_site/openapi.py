"""The error answers every API operation may give, written into the OpenAPI schema.

drf-spectacular documents the success of each operation; the refusals come
from layers around the views (authentication, permissions, validation, the
body size limit) and have one of two shapes: ``{"detail": "..."}``, or for
validation an object of field name to messages (``{"problems": [...]}`` for an
inventory file). Clients and the schemathesis run hold us to these.
"""

from __future__ import annotations

from typing import Any

_DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
_VALIDATION = {"$ref": "#/components/schemas/ValidationErrors"}
_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrors": {
        "description": "Field name to its problems, or ``detail``, or ``problems`` "
        "(an inventory file's, each with its place in the file); a list of messages "
        "for a problem of the whole request (a search term with a NUL).",
        "anyOf": [
            {"type": "object", "additionalProperties": True},
            {"type": "array", "items": {"type": "string"}},
        ],
    },
}
_ANSWERS = {
    "400": ("The request is invalid: what is wrong, and where.", _VALIDATION),
    "401": ("No valid credentials (send Authorization: Token ...).", _DETAIL),
    "403": ("Signed in, but this role may not do this.", _DETAIL),
    "404": ("No such object.", _DETAIL),
}
_WRITE_ANSWERS = {
    "409": ("The object's state does not allow this now.", _DETAIL),
    "413": ("The request body is over the limit.", _DETAIL),
}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: add the error answers an operation lacks."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_SCHEMAS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            answers = dict(_ANSWERS)
            if method != "get":
                answers.update(_WRITE_ANSWERS)
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in answers.items():
                responses.setdefault(code, {
                    "description": description,
                    "content": {"application/json": {"schema": schema}},
                })
    return result
